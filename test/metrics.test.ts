// Metrics against scikit-learn's definitions; every expected value is worked out by hand in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapF1Intervals, macroF1, multiLabelMetrics, singleLabelMetrics } from '../shared/metrics.js';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} != ${expected}`);

// labels a b c d; truth a a b c; predictions a b b b.
// a: TP 1 (row 0), FN 1 (row 1 -> b), FP 0          -> P 1, R 1/2, F1 2/3
// b: TP 1 (row 2), FP 2 (rows 1 and 3), FN 0          -> P 1/3, R 1, F1 2*1/(2+2+0) = 1/2
// c: TP 0, FP 0, FN 1: precision 0/0 -> 0 (undefined) -> P 0, R 0, F1 0
// d: absent from truth and predictions: all 0/0      -> 0, 0, 0, both undefined
// macro = (2/3 + 1/2 + 0 + 0) / 4 = 7/24 (sklearn with labels=[a,b,c,d] averages over all four)
// weighted = (2/3*2 + 1/2*1 + 0*1 + 0*0) / 4 = 11/24; micro = accuracy = 2/4
test('single-label metrics follow sklearn with zero_division=0', () => {
  const m = singleLabelMetrics([0, 0, 1, 2], [0, 1, 1, 1], ['a', 'b', 'c', 'd']);
  close(m.accuracy, 0.5, 'accuracy');
  close(m.f1_macro, 7 / 24, 'macro');
  close(m.f1_weighted, 11 / 24, 'weighted');
  close(m.f1_micro, 0.5, 'micro');
  assert.deepEqual(m.per_class.a, { precision: 1, recall: 0.5, f1: 2 / 3, support: 2, smallSupport: true });
  close(m.per_class.b.precision, 1 / 3, 'b precision');
  assert.equal(m.per_class.b.recall, 1);
  assert.equal(m.per_class.b.f1, 0.5);
  assert.equal(m.per_class.b.undefinedPrecision, undefined);
  assert.deepEqual(m.per_class.c, { precision: 0, recall: 0, f1: 0, support: 1, undefinedPrecision: true, smallSupport: true });
  assert.deepEqual(m.per_class.d, {
    precision: 0, recall: 0, f1: 0, support: 0, undefinedPrecision: true, undefinedRecall: true, smallSupport: true,
  });
});

test('confusion matrix rows are the true class, columns the predicted class', () => {
  // Two true a predicted as b: the count sits in row a, column b.
  const m = singleLabelMetrics([0, 0, 1], [1, 1, 1], ['a', 'b']);
  assert.deepEqual(m.confusion_matrix, { labels: ['a', 'b'], matrix: [[0, 2], [0, 1]] });
});

test('a class with 10 or more test examples is not flagged as small', () => {
  const yTrue = [...new Array(10).fill(0), 1];
  const m = singleLabelMetrics(yTrue, yTrue, ['big', 'tiny']);
  assert.equal(m.per_class.big.smallSupport, undefined);
  assert.equal(m.per_class.tiny.smallSupport, true);
  assert.equal(m.f1_macro, 1);
});

test('single-label metrics reject out-of-range class indices and length mismatches', () => {
  assert.throws(() => singleLabelMetrics([0, 2], [0, 1], ['a', 'b']), /class index 2/);
  assert.throws(() => singleLabelMetrics([0], [0, 1], ['a', 'b']), /1 true labels but 2 predictions/);
});

// labels x y z
// truth 101 / 010 / 110 / 000, predictions 100 / 011 / 100 / 000
// x: TP 2, FP 0, FN 0 -> F1 1 (support 2)
// y: TP 1 (row 1), FN 1 (row 2), FP 0 -> P 1, R 1/2, F1 2/3 (support 2)
// z: TP 0, FN 1 (row 0), FP 1 (row 1) -> F1 0 (support 1)
// micro: TP 3, FP 1, FN 2 -> 2*3 / (6 + 1 + 2) = 2/3
// macro = (1 + 2/3 + 0) / 3 = 5/9; weighted = (1*2 + 2/3*2 + 0*1) / 5 = 2/3
// subset accuracy: only row 3 matches exactly -> 1/4
test('multi-label metrics: subset accuracy, micro, macro and weighted F1', () => {
  const yTrue = [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]];
  const yPred = [[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 0]];
  const m = multiLabelMetrics(yTrue, yPred, ['x', 'y', 'z']);
  close(m.accuracy, 0.25, 'subset accuracy');
  close(m.f1_micro, 2 / 3, 'micro');
  close(m.f1_macro, 5 / 9, 'macro');
  close(m.f1_weighted, 2 / 3, 'weighted');
  assert.equal(m.per_class.x.f1, 1);
  close(m.per_class.y.f1, 2 / 3, 'y f1');
  assert.deepEqual(m.per_class.z, { precision: 0, recall: 0, f1: 0, support: 1, smallSupport: true });
  assert.equal('confusion_matrix' in m, false);
  close(macroF1(yTrue, yPred, 3), 5 / 9, 'macroF1 helper, multi-label');
});

test('macroF1 helper equals the full single-label computation', () => {
  close(macroF1([0, 0, 1, 2], [0, 1, 1, 1], 4), 7 / 24, 'macroF1 helper, single-label');
});

test('bootstrap intervals: deterministic for a seed, ordered, and degenerate for perfect predictions', () => {
  const yTrue = [0, 0, 0, 1, 1, 1, 2, 2, 0, 1, 2, 0];
  const yPred = [0, 1, 0, 1, 1, 0, 2, 1, 0, 1, 2, 2];
  const labels = ['a', 'b', 'c'];
  const first = bootstrapF1Intervals(yTrue, yPred, labels, { iterations: 300, seed: 7 });
  assert.deepEqual(bootstrapF1Intervals(yTrue, yPred, labels, { iterations: 300, seed: 7 }), first);
  const point = singleLabelMetrics(yTrue, yPred, labels);
  for (const label of labels) {
    const [lo, hi] = first[label];
    assert.ok(lo <= point.per_class[label].f1 && point.per_class[label].f1 <= hi, `${label}: ${lo}..${hi}`);
    assert.ok(lo < hi, `${label}: an imperfect class has a non-empty interval`);
  }
  assert.deepEqual(bootstrapF1Intervals(yTrue, yTrue, labels, { iterations: 50 }).a, [1, 1]);
  const multi = bootstrapF1Intervals([[1, 0], [0, 1], [1, 1]], [[1, 0], [0, 1], [1, 1]], ['x', 'y'], { iterations: 50, multiLabel: true });
  assert.deepEqual(multi, { x: [1, 1], y: [1, 1] });
});
