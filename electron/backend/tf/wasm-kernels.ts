// Kernels the wasm backend of tfjs 4.22 lacks but training needs. UnsortedSegmentSum is the gradient of gather
// (an embedding lookup): without it no embedding can learn on wasm. Written in plain JS over the wasm heap.
import type { DataType, TensorInfo } from '@tensorflow/tfjs';

type Tf = typeof import('@tensorflow/tfjs');

interface WasmBackendLike {
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
}

export function registerMissingWasmKernels(tf: Tf): void {
  const registered = tf.getKernelsForBackend('wasm').map((k) => k.kernelName);
  if (registered.includes('UnsortedSegmentSum')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as Record<'x' | 'segmentIds', TensorInfo>;
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const wasm = backend as unknown as WasmBackendLike;
      const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
      const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
      const output = wasm.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
      // Views are read after makeOutput: allocating may grow (and so move) the wasm heap.
      const source = wasm.typedArrayFromHeap(x);
      const ids = wasm.typedArrayFromHeap(segmentIds);
      const target = wasm.typedArrayFromHeap(output);
      target.fill(0);
      for (let r = 0; r < rows; r++) {
        const segment = ids[r];
        if (segment < 0 || segment >= numSegments) continue;
        const from = r * inner;
        const to = segment * inner;
        for (let i = 0; i < inner; i++) target[to + i] += source[from + i];
      }
      return output;
    },
  });
}
