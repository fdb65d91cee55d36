// The linear head's solver: float64 losses against the tfjs losses (values and autodiff gradients), the objective's
// gradient against finite differences, the one-column binary form against the two-column model, the threaded
// objective against the single-threaded one, and the optimum against scikit-learn's balanced logistic regression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRng } from '../shared/random.js';
import { classWeights } from '../shared/imbalance.js';
import { initTensorflow } from '../electron/backend/tf/backend.js';
import type { FeatureSet } from '../electron/backend/training/heads.js';
import { perExampleLoss, type LossSpec } from '../electron/backend/training/losses.js';
import { fitLinearHead, linearArchitecture, linearLogits, linearObjective, parameterCount, rowLossAndGradient, type LinearProblem } from '../electron/backend/training/linear-solver.js';
import { minimizeLbfgs } from '../electron/backend/training/lbfgs.js';
import { SolverThreads } from '../electron/backend/training/solver-threads.js';
import { requirePython } from './fixtures/python.js';

const { tf } = await initTensorflow();

/** A small problem with a dense block and a sparse block, classes in a 6 : 3 : 1 ratio. */
function smallProblem(n: number, classes: number, seed: number, task: 'single_label' | 'multi_label' = 'single_label') {
  const rng = createRng(seed);
  const D = 6;
  const V = 9;
  const dense = new Float32Array(n * D);
  const rowPtr = new Int32Array(n + 1);
  const cols: number[] = [];
  const values: number[] = [];
  const truth: number[][] = [];
  for (let i = 0; i < n; i++) {
    const u = rng();
    const y = u < 0.6 ? 0 : u < 0.9 ? 1 : classes - 1;
    const labels = task === 'single_label' ? [Math.min(y, classes - 1)] : [...new Set([Math.min(y, classes - 1), ...(rng() < 0.3 ? [1] : [])])];
    truth.push(labels);
    for (let d = 0; d < D; d++) dense[i * D + d] = (rng() - 0.5) + (d === labels[0] ? 0.8 : 0);
    for (let v = 0; v < V; v++) {
      if (rng() < 0.35 || v === labels[0] + 3) {
        cols.push(v);
        values.push(0.2 + rng());
      }
    }
    rowPtr[i + 1] = cols.length;
  }
  const features: FeatureSet = { n, dense, lexical: { rowPtr, cols: Int32Array.from(cols), values: Float32Array.from(values), nCols: V } };
  return { features, truth, D };
}

const oneHot = (truth: number[][], K: number) => truth.map((t) => Array.from({ length: K }, (_, c) => (t.includes(c) ? 1 : 0)));

test('float64 row losses and their gradients equal the tfjs losses and autodiff, for every loss', () => {
  const logits = [[1.5, -0.3, 0.2], [-2, 0.5, 3], [0.1, 0.1, 0.1], [4, -4, 0]];
  const single = [[0], [2], [1], [1]];
  const multi = [[0, 2], [], [1], [0, 1, 2]];
  const cases: Array<{ task: 'single_label' | 'multi_label'; spec: LossSpec; truth: number[][] }> = [
    { task: 'single_label', spec: { kind: 'cross_entropy', gamma: 0 }, truth: single },
    { task: 'single_label', spec: { kind: 'cross_entropy', gamma: 0, classWeights: [0.5, 2, 1.5] }, truth: single },
    { task: 'single_label', spec: { kind: 'focal', gamma: 2, classWeights: [0.5, 2, 1.5] }, truth: single },
    { task: 'single_label', spec: { kind: 'focal', gamma: 1 }, truth: single },
    { task: 'multi_label', spec: { kind: 'bce', gamma: 0, classWeights: [3, 1, 0.5] }, truth: multi },
    { task: 'multi_label', spec: { kind: 'focal_bce', gamma: 2, classWeights: [3, 1, 0.5] }, truth: multi },
  ];
  for (const { task, spec, truth } of cases) {
    const targets = tf.tensor2d(oneHot(truth, 3));
    const { value, grads } = tf.valueAndGrads((z: import('@tensorflow/tfjs').Tensor) => tf.sum(perExampleLoss(tf, spec, z as import('@tensorflow/tfjs').Tensor2D, targets as import('@tensorflow/tfjs').Tensor2D)) as import('@tensorflow/tfjs').Scalar)([tf.tensor2d(logits)]);
    const tfLoss = value.dataSync()[0];
    const tfGrad = grads[0].arraySync() as number[][];
    let ours = 0;
    logits.forEach((row, i) => {
      const g = new Float64Array(3);
      ours += rowLossAndGradient(task, spec, Float64Array.from(row), truth[i], g);
      g.forEach((v, c) => assert.ok(Math.abs(v - tfGrad[i][c]) < 1e-5, `${spec.kind} row ${i} class ${c}: ${v} vs ${tfGrad[i][c]}`));
    });
    assert.ok(Math.abs(ours - tfLoss) < 1e-5, `${spec.kind}: ${ours} vs ${tfLoss}`);
  }
});

test('two-class rows: the one-logit form has the loss of the two-logit softmax on z1 − z0', () => {
  for (const spec of [{ kind: 'cross_entropy', gamma: 0, classWeights: [0.3, 3] }, { kind: 'focal', gamma: 2 }] as LossSpec[]) {
    for (const [z0, z1, y] of [[0.4, -1.2, 0], [2, 3.5, 1], [-1, 4, 0]]) {
      const two = rowLossAndGradient('single_label', spec, Float64Array.of(z0, z1), [y], new Float64Array(2));
      const gradient = new Float64Array(1);
      const one = rowLossAndGradient('single_label', spec, Float64Array.of(z1 - z0), [y], gradient);
      assert.ok(Math.abs(one - two) < 1e-12, `${spec.kind}: ${one} vs ${two}`);
    }
  }
});

test('the objective gradient matches central finite differences (dense, sparse and bias parts)', () => {
  const cases: Array<['single_label' | 'multi_label', number, LossSpec]> = [
    ['single_label', 3, { kind: 'focal', gamma: 2, classWeights: [0.4, 1, 2.6] }],
    ['single_label', 2, { kind: 'cross_entropy', gamma: 0, classWeights: [0.5, 1.5] }],
    ['multi_label', 3, { kind: 'focal_bce', gamma: 1, classWeights: [1, 2, 3] }],
  ];
  for (const [task, classes, loss] of cases) {
    const { features, truth, D } = smallProblem(40, classes, 3, task);
    const arch = linearArchitecture(features, D, classes);
    const problem: LinearProblem = { task, features, classes, truth, rows: Int32Array.from({ length: 40 }, (_, i) => i), counts: Float64Array.from({ length: 40 }, (_, i) => 1 + (i % 3)), loss, c: 0.7 };
    const objective = linearObjective(problem, arch);
    const rng = createRng(9);
    const x = Float64Array.from({ length: objective.size }, () => (rng() - 0.5) * 0.6);
    const grad = new Float64Array(objective.size);
    objective.evaluate(x, grad);
    const h = 1e-6;
    for (let i = 0; i < objective.size; i += Math.max(1, Math.floor(objective.size / 25))) {
      const plus = Float64Array.from(x);
      const minus = Float64Array.from(x);
      plus[i] += h;
      minus[i] -= h;
      const numeric = (objective.evaluate(plus, new Float64Array(objective.size)) - objective.evaluate(minus, new Float64Array(objective.size))) / (2 * h);
      assert.ok(Math.abs(numeric - grad[i]) < 1e-6 * Math.max(1, Math.abs(numeric)), `${task} ${loss.kind} parameter ${i}: analytic ${grad[i]} vs numeric ${numeric}`);
    }
  }
});

test('L-BFGS minimises a badly scaled quadratic to the known optimum', async () => {
  const scales = [1, 10, 100, 1000];
  const target = [3, -2, 0.5, 7];
  const result = await minimizeLbfgs((x, g) => {
    let f = 0;
    for (let i = 0; i < 4; i++) {
      const d = x[i] - target[i];
      f += 0.5 * scales[i] * d * d;
      g[i] = scales[i] * d;
    }
    return f;
  }, new Float64Array(4), { gradientTolerance: 1e-10 });
  assert.equal(result.converged, true);
  result.x.forEach((v, i) => assert.ok(Math.abs(v - target[i]) < 1e-6, `x${i} = ${v}`));
});

test('a binary problem fitted with one logit equals the symmetric two-column model at its optimum', async () => {
  const { features, truth, D } = smallProblem(80, 2, 5);
  const arch = linearArchitecture(features, D, 2);
  const problem: LinearProblem = { task: 'single_label', features, classes: 2, truth, rows: Int32Array.from({ length: 80 }, (_, i) => i), counts: new Float64Array(80).fill(1), loss: { kind: 'cross_entropy', gamma: 0, classWeights: [0.6, 1.4] }, c: 2 };
  const fit = await fitLinearHead(problem, arch, { gradientTolerance: 1e-10 });
  // The two-column objective, written out from the returned head weights: its gradient must vanish there too.
  const K = 2;
  const lexical = features.lexical!;
  const W = fit.weights;
  let gradMax = 0;
  const grads = { dense: new Float64Array(D * K), lexical: new Float64Array(lexical.nCols * K), bias: new Float64Array(K) };
  const weights = problem.loss.classWeights!;
  const normaliser = truth.reduce((s, t) => s + weights[t[0]], 0);
  for (let i = 0; i < 80; i++) {
    const z = [0, 1].map((c) => W.bias.values[c] + Array.from({ length: D }, (_, d) => features.dense[i * D + d] * W.dense.values[d * K + c]).reduce((a, b) => a + b, 0) +
      Array.from({ length: lexical.rowPtr[i + 1] - lexical.rowPtr[i] }, (_, j) => lexical.values[lexical.rowPtr[i] + j] * W.lexical.values[lexical.cols[lexical.rowPtr[i] + j] * K + c]).reduce((a, b) => a + b, 0));
    const m = Math.max(...z);
    const p = z.map((v) => Math.exp(v - m) / z.reduce((s, u) => s + Math.exp(u - m), 0));
    for (let c = 0; c < K; c++) {
      const g = (weights[truth[i][0]] * (p[c] - (truth[i][0] === c ? 1 : 0))) / normaliser;
      grads.bias[c] += g;
      for (let d = 0; d < D; d++) grads.dense[d * K + c] += g * features.dense[i * D + d];
      for (let q = lexical.rowPtr[i]; q < lexical.rowPtr[i + 1]; q++) grads.lexical[lexical.cols[q] * K + c] += g * lexical.values[q];
    }
  }
  const lambda = 1 / (problem.c * 80);
  grads.dense.forEach((g, j) => (gradMax = Math.max(gradMax, Math.abs(g + lambda * W.dense.values[j]))));
  grads.lexical.forEach((g, j) => (gradMax = Math.max(gradMax, Math.abs(g + lambda * W.lexical.values[j]))));
  grads.bias.forEach((g) => (gradMax = Math.max(gradMax, Math.abs(g))));
  assert.ok(gradMax < 1e-6, `two-column gradient at the one-column optimum: ${gradMax}`);
  // And the columns are the symmetric split.
  for (let j = 0; j < D; j++) assert.ok(Math.abs(W.dense.values[j * K] + W.dense.values[j * K + 1]) < 1e-6);
});

test('the objective across solver threads equals the single-threaded one', async () => {
  const { features, truth, D } = smallProblem(300, 3, 8);
  const arch = linearArchitecture(features, D, 3);
  const threads = await SolverThreads.start(features, truth, D, parameterCount(arch, 'single_label'), 3);
  assert.ok(threads, 'solver threads start');
  try {
    const problem: LinearProblem = { task: 'single_label', features, classes: 3, truth, rows: Int32Array.from({ length: 250 }, (_, i) => i + 25), counts: Float64Array.from({ length: 250 }, (_, i) => 1 + (i % 4)), loss: { kind: 'focal', gamma: 2, classWeights: [0.5, 1, 1.5] }, c: 3 };
    const single = linearObjective(problem, arch);
    const threaded = threads.objective(problem, arch);
    const rng = createRng(4);
    for (let trial = 0; trial < 3; trial++) {
      const x = Float64Array.from({ length: single.size }, () => rng() - 0.5);
      const g1 = new Float64Array(single.size);
      const g2 = new Float64Array(single.size);
      const f1 = single.evaluate(x, g1);
      const f2 = threaded.evaluate(x, g2);
      assert.ok(Math.abs(f1 - f2) < 1e-12, `value ${f1} vs ${f2}`);
      g1.forEach((v, i) => assert.ok(Math.abs(v - g2[i]) < 1e-12, `gradient ${i}`));
    }
    const a = await fitLinearHead(problem, arch);
    const b = await fitLinearHead(problem, arch, { objective: threads.objective });
    assert.ok(Math.abs(a.solver.value - b.solver.value) < 1e-10);
  } finally {
    threads.close();
  }
});

test('the head reaches what scikit-learn LogisticRegression(class_weight="balanced") reaches: same decisions, log-loss within 1e-4', async (t) => {
  const python = requirePython(t, ['sklearn', 'numpy']);
  if (!python) return;
  const { features, truth, D } = smallProblem(150, 3, 11);
  const K = 3;
  const counts = [0, 1, 2].map((c) => truth.filter((y) => y[0] === c).length);
  const arch = linearArchitecture(features, D, K);
  const rows = Int32Array.from({ length: 150 }, (_, i) => i);
  const fit = await fitLinearHead({ task: 'single_label', features, classes: K, truth, rows, counts: new Float64Array(150).fill(1), loss: { kind: 'cross_entropy', gamma: 0, classWeights: classWeights(counts, 'inverse') }, c: 1.5 }, arch, { gradientTolerance: 1e-10 });
  const ours = linearLogits(fit.parameters, arch, 'single_label', features, rows);
  const lexical = features.lexical!;
  const X = Array.from({ length: 150 }, (_, i) => {
    const row = Array.from(features.dense.subarray(i * D, (i + 1) * D));
    const sparse = new Array<number>(lexical.nCols).fill(0);
    for (let q = lexical.rowPtr[i]; q < lexical.rowPtr[i + 1]; q++) sparse[lexical.cols[q]] = lexical.values[q];
    return [...row, ...sparse];
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'finetune-sklearn-'));
  try {
    writeFileSync(path.join(dir, 'data.json'), JSON.stringify({ X, y: truth.map((t) => t[0]) }));
    const script = [
      'import json, numpy as np, sys',
      'from sklearn.linear_model import LogisticRegression',
      `d = json.load(open(${JSON.stringify(path.join(dir, 'data.json'))}))`,
      "X = np.array(d['X']); y = np.array(d['y'])",
      "m = LogisticRegression(class_weight='balanced', C=1.5, tol=1e-10, max_iter=10000).fit(X, y)",
      'print(json.dumps({"proba": m.predict_proba(X).tolist()}))',
    ].join('\n');
    const run = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const proba = (JSON.parse(run.stdout) as { proba: number[][] }).proba;
    let ourLoss = 0;
    let theirLoss = 0;
    let maxDiff = 0;
    for (let i = 0; i < 150; i++) {
      const z = Array.from(ours.subarray(i * K, (i + 1) * K));
      const m = Math.max(...z);
      const p = z.map((v) => Math.exp(v - m) / z.reduce((s, u) => s + Math.exp(u - m), 0));
      assert.equal(p.indexOf(Math.max(...p)), proba[i].indexOf(Math.max(...proba[i])), `row ${i} decision`);
      ourLoss -= Math.log(p[truth[i][0]]) / 150;
      theirLoss -= Math.log(proba[i][truth[i][0]]) / 150;
      for (let c = 0; c < K; c++) maxDiff = Math.max(maxDiff, Math.abs(p[c] - proba[i][c]));
    }
    assert.ok(Math.abs(ourLoss - theirLoss) < 1e-4, `log-loss ${ourLoss} vs scikit-learn ${theirLoss}`);
    assert.ok(maxDiff < 1e-3, `largest probability difference ${maxDiff}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
