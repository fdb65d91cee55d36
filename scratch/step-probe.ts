import { initTensorflow } from '../electron/backend/tf/backend.js';
import { UseLiteClassifier } from '../electron/backend/training/transformer/use-lite-trainable.js';
import { batchGradients } from '../electron/backend/training/transformer/fine-tune.js';
const rt = await initTensorflow('auto');
const tf = rt.tf;
const model = new UseLiteClassifier(tf, 3);
const T = Number(process.argv[2] ?? 128), B = 16;
const ids = Array.from({ length: B }, (_, i) => Array.from({ length: T }, (_, j) => 10 + ((i * 31 + j * 7) % 7000)));
const targets = ids.map((_, i) => [i % 3]);
for (const depth of [{ kind: 'top', layers: 1 }, { kind: 'full', freezeEmbeddings: false }] as const) {
  const vars = model.trainable(depth as any);
  for (let k = 0; k < 3; k++) {
    const t0 = Date.now();
    const { grads } = batchGradients(tf, model, { kind: 'cross_entropy', gamma: 0 }, ids, targets, vars, 0, 1);
    grads.forEach((g) => g.dispose());
    console.log(depth.kind, 'step ms', Date.now() - t0);
  }
  const t1 = Date.now();
  tf.tidy(() => model.logits({ ids: tf.tensor2d(ids.flat(), [B, T], 'int32'), mask: tf.ones([B, T]) } as any).dataSync());
  console.log('forward ms', Date.now() - t1, tf.memory().numTensors);
}
