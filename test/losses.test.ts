import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTensorflow } from '../electron/backend/tf/backend.js';
import { lossFromLogits, perExampleLoss, type LossSpec } from '../electron/backend/training/losses.js';

const { tf } = await initTensorflow();

const logits = [
  [2.0, -1.0, 0.5],
  [0.1, 0.2, 0.3],
  [-3.0, 4.0, 1.0],
  [1.5, 1.5, -2.0],
];
const classes = [0, 2, 1, 1];
const oneHot = classes.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0)));

/** float64 reference: log-softmax of a row. */
function logSoftmax64(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, z) => s + Math.exp(z - m), 0));
  return row.map((z) => z - lse);
}

function lossOf(spec: LossSpec, x: number[][], y: number[][]): number {
  return tf.tidy(() => lossFromLogits(tf, spec, tf.tensor2d(x), tf.tensor2d(y)).dataSync()[0]);
}

function perExample(spec: LossSpec, x: number[][], y: number[][]): number[] {
  return tf.tidy(() => Array.from(perExampleLoss(tf, spec, tf.tensor2d(x), tf.tensor2d(y)).dataSync()));
}

const ce = (): number[] => logits.map((row, i) => -logSoftmax64(row)[classes[i]]);

test('cross-entropy from logits matches the float64 reference', () => {
  const got = perExample({ kind: 'cross_entropy', gamma: 0 }, logits, oneHot);
  ce().forEach((want, i) => assert.ok(Math.abs(got[i] - want) < 1e-5, `row ${i}: ${got[i]} vs ${want}`));
});

test('focal with gamma 0 and alpha 1 equals cross-entropy exactly', () => {
  const focal = perExample({ kind: 'focal', gamma: 0, classWeights: [1, 1, 1] }, logits, oneHot);
  const plain = perExample({ kind: 'cross_entropy', gamma: 0 }, logits, oneHot);
  assert.deepEqual(focal, plain);
});

test('focal loss with gamma 2 and per-class alpha matches -alpha_y (1 - p_y)^2 log p_y', () => {
  const alpha = [0.5, 2, 1.5];
  const got = perExample({ kind: 'focal', gamma: 2, classWeights: alpha }, logits, oneHot);
  logits.forEach((row, i) => {
    const logP = logSoftmax64(row)[classes[i]];
    const want = -alpha[classes[i]] * (1 - Math.exp(logP)) ** 2 * logP;
    assert.ok(Math.abs(got[i] - want) < 1e-5, `row ${i}: ${got[i]} vs ${want}`);
  });
  // Focal down-weights the easy example (row 2: p_y high) much more than the hard one (row 1).
  const plain = ce();
  assert.ok(got[2] / plain[2] < got[1] / plain[1]);
});

test('class weights are applied per example (by true class) and averaged over the batch', () => {
  const w = [3, 0.5, 1];
  const got = lossOf({ kind: 'cross_entropy', gamma: 0, classWeights: w }, logits, oneHot);
  const want = ce().reduce((s, l, i) => s + w[classes[i]] * l, 0) / logits.length;
  assert.ok(Math.abs(got - want) < 1e-5, `${got} vs ${want}`);
});

test('huge logits give finite losses and gradients (no log(softmax))', () => {
  const big = [
    [1000, -1000, 0],
    [-1000, 1000, 0],
  ];
  const y = [
    [1, 0, 0],
    [1, 0, 0],
  ];
  for (const spec of [
    { kind: 'cross_entropy', gamma: 0 },
    { kind: 'focal', gamma: 2 },
    { kind: 'focal', gamma: 0.5 },
    { kind: 'bce', gamma: 0 },
    { kind: 'focal_bce', gamma: 2 },
  ] as LossSpec[]) {
    const [loss, grad] = tf.tidy(() => {
      const x = tf.tensor2d(big);
      const g = tf.grad((z: any) => lossFromLogits(tf, spec, z, tf.tensor2d(y)))(x);
      return [lossFromLogits(tf, spec, x, tf.tensor2d(y)).dataSync()[0], Array.from(g.dataSync())];
    });
    assert.ok(Number.isFinite(loss), `${spec.kind}: loss ${loss}`);
    assert.ok(grad.every(Number.isFinite), `${spec.kind}: gradient ${grad}`);
  }
  // The confidently wrong row costs about 2000 nats under CE (not Infinity, not NaN).
  const wrong = perExample({ kind: 'cross_entropy', gamma: 0 }, big, [[1, 0, 0], [1, 0, 0]]);
  assert.ok(Math.abs(wrong[1] - 2000) < 1);
});

test('gradient of mean cross-entropy w.r.t. logits is (softmax - onehot) / N', () => {
  const grad = tf.tidy(() => Array.from(tf.grad((z: any) => lossFromLogits(tf, { kind: 'cross_entropy', gamma: 0 }, z, tf.tensor2d(oneHot)))(tf.tensor2d(logits)).dataSync()));
  logits.forEach((row, i) => {
    const p = logSoftmax64(row).map(Math.exp);
    p.forEach((pj, j) => {
      const want = (pj - oneHot[i][j]) / logits.length;
      assert.ok(Math.abs(grad[i * 3 + j] - want) < 1e-6, `(${i},${j}) ${grad[i * 3 + j]} vs ${want}`);
    });
  });
});

test('focal loss gradient matches a finite difference', () => {
  const spec: LossSpec = { kind: 'focal', gamma: 2, classWeights: [1, 2, 0.5] };
  const x = [[0.3, -0.2, 0.8]];
  const y = [[0, 1, 0]];
  const grad = tf.tidy(() => Array.from(tf.grad((z: any) => lossFromLogits(tf, spec, z, tf.tensor2d(y)))(tf.tensor2d(x)).dataSync()));
  const h = 1e-2;
  for (let j = 0; j < 3; j++) {
    const up = x.map((r) => r.map((v, c) => (c === j ? v + h : v)));
    const down = x.map((r) => r.map((v, c) => (c === j ? v - h : v)));
    const numeric = (lossOf(spec, up, y) - lossOf(spec, down, y)) / (2 * h);
    assert.ok(Math.abs(grad[j] - numeric) < 2e-3, `class ${j}: ${grad[j]} vs ${numeric}`);
  }
});

test('multi-label: BCE from logits matches the reference, focal BCE with gamma 0 equals it, positive weights apply', () => {
  const x = [
    [2, -1, 0.3],
    [-0.5, 0.7, -2],
  ];
  const y = [
    [1, 0, 1],
    [0, 1, 0],
  ];
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  const cell = (z: number, t: number) => -(t ? Math.log(sig(z)) : Math.log(1 - sig(z)));
  const bce = perExample({ kind: 'bce', gamma: 0 }, x, y);
  x.forEach((row, i) => {
    const want = row.reduce((s, z, c) => s + cell(z, y[i][c]), 0) / 3;
    assert.ok(Math.abs(bce[i] - want) < 1e-5);
  });
  assert.deepEqual(perExample({ kind: 'focal_bce', gamma: 0 }, x, y), bce);
  const weighted = perExample({ kind: 'bce', gamma: 0, classWeights: [2, 3, 4] }, x, y);
  x.forEach((row, i) => {
    const want = row.reduce((s, z, c) => s + (y[i][c] ? [2, 3, 4][c] : 1) * cell(z, y[i][c]), 0) / 3;
    assert.ok(Math.abs(weighted[i] - want) < 1e-5);
  });
  const focal = perExample({ kind: 'focal_bce', gamma: 2 }, x, y);
  x.forEach((row, i) => {
    const want = row.reduce((s, z, c) => {
      const pt = y[i][c] ? sig(z) : 1 - sig(z);
      return s + (1 - pt) ** 2 * -Math.log(pt);
    }, 0) / 3;
    assert.ok(Math.abs(focal[i] - want) < 1e-5);
  });
});
