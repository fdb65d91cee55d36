// Calibration helpers: ECE, temperature scaling, per-class thresholds, stable softmax / sigmoid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectedCalibrationError,
  fitTemperature,
  fitTemperatureMultiLabel,
  logSigmoid,
  logSoftmax,
  sigmoid,
  softmax,
  softmaxNll,
  tuneThresholds,
} from '../shared/calibration.js';
import { multiLabelMetrics } from '../shared/metrics.js';
import { createRng } from '../shared/random.js';

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < tol, `${what}: ${actual} != ${expected}`);

test('ECE with 15 bins on a tiny example', () => {
  // Bins are 1/15 wide; bin b covers (b/15, (b+1)/15].
  // 0.95 -> bin 14 (correct), 0.9 -> bin 13 (wrong), 0.25 -> bin 3 (wrong), 0.55 -> bin 8 (correct): one per bin.
  // ECE = 1/4 * (|1 - 0.95| + |0 - 0.9| + |0 - 0.25| + |1 - 0.55|) = 1/4 * (0.05 + 0.9 + 0.25 + 0.45) = 0.4125
  const { ece, bins } = expectedCalibrationError([0.95, 0.9, 0.25, 0.55], [true, false, false, true]);
  close(ece, 0.4125, 1e-12, 'ece');
  assert.equal(bins.length, 15);
  assert.deepEqual(bins.map((b) => b.count), [0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]);
  close(bins[13].lower, 13 / 15, 1e-12, 'bin 13 lower edge');
  assert.equal(bins[13].accuracy, 0);
  assert.equal(bins[13].confidence, 0.9);
});

test('ECE averages confidence and accuracy inside a bin', () => {
  // 2 bins: (0, .5] holds 0.3 (wrong): gap 0.3, weight 1/4.
  // (.5, 1] holds 0.6, 0.7, 0.8 with 2 of 3 correct: mean confidence 0.7, accuracy 2/3, gap 1/30, weight 3/4.
  // ECE = 0.3/4 + (3/4)(1/30) = 0.075 + 0.025 = 0.1
  const { ece, bins } = expectedCalibrationError([0.6, 0.7, 0.8, 0.3], [true, true, false, false], 2);
  close(ece, 0.1, 1e-12, 'ece');
  close(bins[1].confidence, 0.7, 1e-12, 'bin confidence');
  close(bins[1].accuracy, 2 / 3, 1e-12, 'bin accuracy');
  assert.equal(expectedCalibrationError([], []).ece, 0);
});

test('temperature scaling finds the closed-form optimum', () => {
  // Four rows with logits [2, 0], three of class 0 and one of class 1: p0 = sigmoid(2/T), and the NLL
  // -3 log p0 - log(1 - p0) is smallest at p0 = 3/4, i.e. 2/T = ln 3, T = 2 / ln 3 = 1.8204784532...
  const logits = [[2, 0], [2, 0], [2, 0], [2, 0]];
  const t = fitTemperature(logits, [0, 0, 0, 1]);
  close(t, 2 / Math.log(3), 1e-6, 'T');
  assert.ok(softmaxNll(logits, [0, 0, 0, 1], t) < softmaxNll(logits, [0, 0, 0, 1], 1));
  // The same setting for one sigmoid output: sigmoid(2/T) = 3/4 at the optimum.
  close(fitTemperatureMultiLabel([[2], [2], [2], [2]], [[1], [1], [1], [0]]), 2 / Math.log(3), 1e-6, 'multi-label T');
  assert.equal(fitTemperature([], []), 1);
});

test('temperature scaling stays finite with huge, overconfident logits', () => {
  const t = fitTemperature([[1000, 0], [1000, 0], [0, 1000], [1000, 0]], [0, 0, 0, 1]);
  assert.ok(Number.isFinite(t) && t > 1, `an overconfident model is softened (T = ${t})`);
});

test('thresholds maximise each class F1; no positives keeps 0.5', () => {
  // Class 0: positives at 0.35 and 0.3, negatives at 0.2 and 0.1. Any threshold in (0.2, 0.3] gives F1 1;
  // the tie goes to the value nearest 0.5, i.e. 0.3. Class 1 has no positives -> 0.5.
  const probs = [[0.35, 0.9], [0.3, 0.1], [0.2, 0.4], [0.1, 0.7]];
  const y = [[1, 0], [1, 0], [0, 0], [0, 0]];
  const [t0, t1] = tuneThresholds(probs, y);
  close(t0, 0.3, 1e-12, 'class 0 threshold');
  assert.equal(t1, 0.5);
  assert.deepEqual(tuneThresholds(probs, y, [0.25, 0.5]), [0.25, 0.5]);
});

test('tuned thresholds reach the best F1 a brute-force search over the grid finds', () => {
  const rng = createRng(5);
  const y = Array.from({ length: 200 }, () => [rng() < 0.3 ? 1 : 0, rng() < 0.05 ? 1 : 0]);
  // Noisy scores, rounded to 2 decimals so many rows sit exactly on grid values (the >= edge matters).
  const probs = y.map((row) => row.map((t) => Math.round(Math.min(1, Math.max(0, 0.35 * t + 0.65 * rng())) * 100) / 100));
  const thresholds = tuneThresholds(probs, y);
  const f1At = (c: number, t: number) =>
    multiLabelMetrics(y.map((r) => [r[c]]), probs.map((r) => [r[c] >= t ? 1 : 0]), ['c']).per_class.c.f1;
  for (const c of [0, 1]) {
    const bruteBest = Math.max(...Array.from({ length: 99 }, (_, i) => f1At(c, (i + 1) / 100)));
    assert.equal(f1At(c, thresholds[c]), bruteBest, `class ${c} threshold ${thresholds[c]}`);
  }
});

test('softmax, log-softmax and sigmoid are stable for large inputs', () => {
  assert.deepEqual(softmax([1000, 0]), [1, 0]);
  assert.deepEqual(logSoftmax([1000, 0]), [0, -1000]);
  const p = softmax([1, 2, 3]);
  // e^1, e^2, e^3 over their sum 30.192874...: 0.0900306, 0.2447285, 0.6652409
  close(p[0], 0.09003057317038046, 1e-12, 'softmax 0');
  close(p[2], 0.6652409557748219, 1e-12, 'softmax 2');
  assert.equal(sigmoid(-1000), 0);
  assert.equal(sigmoid(1000), 1);
  assert.equal(sigmoid(0), 0.5);
  assert.equal(logSigmoid(-1000), -1000);
  close(logSigmoid(0), -Math.LN2, 1e-15, 'log sigmoid 0');
});
