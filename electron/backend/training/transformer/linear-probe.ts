// A linear head fitted on frozen sentence vectors, full batch, with the run's loss: the starting point of
// fine-tuning USE-lite (linear probing then fine-tuning keeps a random head from distorting the pretrained body).
import type { Scalar } from '@tensorflow/tfjs';
import type { TfRuntime } from '../../tf/backend.js';
import { lossFromLogits, type LossSpec } from '../losses.js';
import type { LinearHeadInit } from './use-lite-trainable.js';

const STEPS = 300;
const LEARNING_RATE = 0.05;
const L2 = 1e-4;

export async function fitLinearProbe(tf: TfRuntime['tf'], vectors: Float32Array[], targets: number[][], classes: number, loss: LossSpec): Promise<LinearHeadInit> {
  const dim = vectors[0]?.length ?? 0;
  const x = tf.tensor2d(Float32Array.from(vectors.flatMap((v) => Array.from(v))), [vectors.length, dim]);
  const yValues = new Float32Array(vectors.length * classes);
  targets.forEach((row, i) => row.forEach((c) => (yValues[i * classes + c] = 1)));
  const y = tf.tensor2d(yValues, [vectors.length, classes]);
  const w = tf.variable(tf.zeros([dim, classes]));
  const b = tf.variable(tf.zeros([classes]));
  const optimizer = tf.train.adam(LEARNING_RATE);
  try {
    for (let step = 0; step < STEPS; step++) {
      optimizer.minimize(() => tf.add(lossFromLogits(tf, loss, tf.add(tf.matMul(x, w), b), y), tf.mul(L2, tf.sum(tf.square(w)))) as Scalar, false, [w, b]);
    }
    return { weights: Float32Array.from(await w.data()), bias: Float32Array.from(await b.data()) };
  } finally {
    for (const t of [x, y, w, b]) t.dispose();
    optimizer.dispose();
  }
}
