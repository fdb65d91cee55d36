// USE-lite's forward pass through @tensorflow/tfjs: the shipped GraphModel, fed the ragged (indices, values) input.
import type { Tensor } from '@tensorflow/tfjs';
import { initTensorflow } from '../tf/backend.js';
import { loadUseLiteWeights } from './use-lite-model.js';
import type { UseLiteRunner } from './use-lite.js';

export async function createTfjsUseLiteRunner(): Promise<UseLiteRunner> {
  const { tf, backend } = await initTensorflow();
  const weights = loadUseLiteWeights();
  const model = await tf.loadGraphModel({ load: async () => weights.artifacts });
  return {
    backend: `tfjs-${backend}`,
    async run(windows) {
      const total = windows.reduce((n, ids) => n + ids.length, 0);
      const indices = new Int32Array(total * 2);
      const values = new Int32Array(total);
      let k = 0;
      windows.forEach((ids, row) =>
        ids.forEach((id, position) => {
          indices[2 * k] = row;
          indices[2 * k + 1] = position;
          values[k++] = id;
        }),
      );
      const inputs = { indices: tf.tensor2d(indices, [total, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
      let output: Tensor | undefined;
      try {
        // executeAsync: the graph has a dynamic Where (it clips positions ≥ 128 itself).
        output = (await model.executeAsync(inputs)) as Tensor;
        const flat = (await output.data()) as Float32Array;
        const dim = flat.length / windows.length;
        return windows.map((_, row) => flat.slice(row * dim, (row + 1) * dim));
      } finally {
        // Also when the forward pass fails: the prediction worker lives on and would keep the tensors.
        tf.dispose([inputs.indices, inputs.values, ...(output ? [output] : [])]);
      }
    },
    async dispose() {
      model.dispose();
    },
  };
}
