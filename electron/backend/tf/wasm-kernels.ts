// Kernels of the wasm backend of tfjs 4.22 that training needs mended:
// - UnsortedSegmentSum, the gradient of gather (an embedding lookup), is missing: without it no embedding can
//   learn on wasm. Written in plain JS over the wasm heap.
// - BatchMatMul with transposeA/transposeB (every matmul gradient) runs 10-20x slower than the plain product
//   (measured: [512,512]x[512,1536] 0.99 s transposed vs 0.06 s plain), so the operand is transposed first.
import type { DataType, TensorInfo } from '@tensorflow/tfjs';

type Tf = typeof import('@tensorflow/tfjs');

interface WasmBackendLike {
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object): boolean;
}

export function registerMissingWasmKernels(tf: Tf): void {
  registerSegmentSum(tf);
  registerPlainBatchMatMul(tf);
}

function registerPlainBatchMatMul(tf: Tf): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose || (original as { plainOperands?: boolean }).plainOperands) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  const config = {
    ...original,
    plainOperands: true,
    kernelFunc: ({ inputs, backend, attrs }: Parameters<typeof original.kernelFunc>[0]) => {
      const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
      if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });
      const wasm = backend as unknown as WasmBackendLike;
      const swapLast = (x: TensorInfo): TensorInfo => {
        const perm = x.shape.map((_, i) => i);
        [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
        return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
      };
      const { a, b } = inputs as Record<'a' | 'b', TensorInfo>;
      const plainA = transposeA ? swapLast(a) : a;
      const plainB = transposeB ? swapLast(b) : b;
      try {
        return original.kernelFunc({ inputs: { ...inputs, a: plainA, b: plainB }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      } finally {
        if (plainA !== a) wasm.disposeData(plainA.dataId);
        if (plainB !== b) wasm.disposeData(plainB.dataId);
      }
    },
  };
  tf.registerKernel(config);
}

function registerSegmentSum(tf: Tf): void {
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
