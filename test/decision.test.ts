// Decisions beyond argmax: offsets tuned for macro-F1 (checked against brute force), the stored rule
// (argmax of scale · p − shift) in each of its forms, cost-based rules, calibration with prior correction, and the
// review budget's split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideByRule, decideWithOffsets, ruleFromCosts, ruleFromOffsets, thresholdsFromCosts, tuneOffsets } from '../shared/decision.js';
import { macroF1 } from '../shared/metrics.js';
import { createRng } from '../shared/random.js';
import { softmax } from '../shared/calibration.js';
import { fitCalibration, modelDecision } from '../electron/backend/training/calibrate.js';
import { costVectors, reviewCutoff, reviewSplit } from '../electron/backend/training/decision-policy.js';

/** Scores where class 1 is rare and under-predicted by argmax: its scores are shifted down by 1.5. */
function skewed(n: number, seed: number) {
  const rng = createRng(seed);
  const truth: number[] = [];
  const scores: number[][] = [];
  for (let i = 0; i < n; i++) {
    const y = rng() < 0.15 ? 1 : rng() < 0.5 ? 2 : 0;
    truth.push(y);
    scores.push([0, 1, 2].map((c) => (c === y ? 1.2 : 0) + (rng() - 0.5) * 2 - (c === 1 ? 1.5 : 0)));
  }
  return { truth, scores };
}

const f1With = (scores: number[][], truth: number[], offsets: number[] | null) => macroF1(truth, scores.map((s) => decideWithOffsets(s, offsets)), 3);

test('tuned offsets find the best macro-F1 a brute-force grid finds, and beat argmax when a class is under-predicted', () => {
  const { truth, scores } = skewed(300, 1);
  const tuned = tuneOffsets(scores, truth, 3);
  const f1Tuned = f1With(scores, truth, tuned);
  let best = 0;
  for (let a = -4; a <= 4; a += 0.1) for (let b = -4; b <= 4; b += 0.1) best = Math.max(best, f1With(scores, truth, [0, a, b]));
  assert.ok(f1Tuned >= best - 1e-9, `coordinate ascent ${f1Tuned} vs grid ${best}`);
  assert.ok(f1Tuned > f1With(scores, truth, null) + 0.03, 'tuning helps the under-predicted class');
  assert.ok(tuned[1] > tuned[0] && tuned[1] > tuned[2], 'the rare, under-scored class gets the largest offset');
  assert.ok(Math.abs(tuned.reduce((s, x) => s + x, 0)) < 1e-9, 'offsets are centred');
});

test('offsets stay at zero when argmax is already optimal, and are bounded', () => {
  const truth = [0, 1, 2, 0, 1, 2];
  const scores = truth.map((y) => [0, 1, 2].map((c) => (c === y ? 5 : 0)));
  assert.deepEqual(tuneOffsets(scores, truth, 3), [0, 0, 0]);
  const lopsided = tuneOffsets([[0, -50], [0, -40], [0, -45]], [1, 1, 0], 2);
  assert.ok(lopsided.every((o) => Math.abs(o) <= 8), `bounded: ${lopsided}`);
});

test('a decision rule reproduces offsets, plain argmax and the expected-cost minimiser', () => {
  const rng = createRng(3);
  const offsets = [0.3, -1, 2];
  const rule = ruleFromOffsets(offsets);
  for (let i = 0; i < 200; i++) {
    const p = softmax([rng() * 4, rng() * 4, rng() * 4]);
    assert.equal(decideByRule(p, rule), decideWithOffsets(p.map(Math.log), offsets));
    assert.equal(decideByRule(p, null), p.indexOf(Math.max(...p)));
  }
  // Two classes: a miss of class 1 costs 9, a false alarm 1 → predict 1 when p1 > 1 / (1 + 9) (both sides' costs summed).
  const costs = ruleFromCosts([1, 9], [9, 1]);
  assert.equal(decideByRule([0.85, 0.15], costs), 1);
  assert.equal(decideByRule([0.95, 0.05], costs), 0);
  // Three classes: the rule picks the class of least expected cost, checked by enumeration.
  const miss = [1, 5, 2];
  const falseAlarm = [1, 0.5, 3];
  const rule3 = ruleFromCosts(miss, falseAlarm);
  for (let i = 0; i < 200; i++) {
    const p = softmax([rng() * 3, rng() * 3, rng() * 3]);
    const expected = [0, 1, 2].map((k) => p.reduce((s, pj, j) => s + (j === k ? 0 : pj * (miss[j] + falseAlarm[k])), 0));
    assert.equal(decideByRule(p, rule3), expected.indexOf(Math.min(...expected)));
  }
  assert.deepEqual(thresholdsFromCosts([9, 1], [1, 1]), [0.1, 0.5]);
});

test('calibration recovers the temperature and the prior shift of weighted training', async () => {
  const rng = createRng(7);
  const logits: number[][] = [];
  const truth: number[][] = [];
  // True logits z; the model reports 2z + (0, 1.5): overconfident and biased towards class 1.
  for (let i = 0; i < 4000; i++) {
    const z = [rng() * 3 - 1.5, rng() * 3 - 1.5];
    const p = softmax(z);
    truth.push([rng() < p[0] ? 0 : 1]);
    logits.push([2 * z[0], 2 * z[1] + 1.5]);
  }
  const calibration = await fitCalibration('single_label', logits, truth, 2);
  assert.ok(Math.abs(calibration.temperature - 2) < 0.15, `T = ${calibration.temperature}`);
  assert.ok(Math.abs(calibration.bias[1] - calibration.bias[0] + 0.75) < 0.15, `β = ${calibration.bias}`);
  // Plain argmax on the raw logits stays plain argmax once restated on the calibrated probabilities.
  const decision = modelDecision('single_label', 'argmax', null, calibration);
  logits.slice(0, 100).forEach((z) => {
    const calibrated = softmax(z.map((v, c) => v / calibration.temperature + calibration.bias[c]));
    assert.equal(decideByRule(calibrated, decision.rule!), z.indexOf(Math.max(...z)));
  });
});

test('costs are read per label, unknown labels and bad numbers refused', () => {
  assert.deepEqual(costVectors(['ham', 'spam'], { miss: { spam: 10 }, falseAlarm: { spam: 2 } }), { miss: [1, 10], falseAlarm: [1, 2] });
  assert.throws(() => costVectors(['ham', 'spam'], { miss: { eggs: 1 }, falseAlarm: {} }), /'eggs' in miss is not one of the labels/);
  assert.throws(() => costVectors(['ham', 'spam'], { miss: { spam: -1 }, falseAlarm: {} }), /must be a number ≥ 0/);
});

test('a review budget sends the least certain share to a person and measures the automatic part', () => {
  const heldOut = Array.from({ length: 100 }, (_, i) => [0.5 + i / 200, 0.5 - i / 200]);
  const cutoff = reviewCutoff('single_label', heldOut, 0.2);
  assert.ok(Math.abs(cutoff - 0.6) < 1e-9, `cutoff ${cutoff}`);
  const rows = [0.55, 0.58, 0.7, 0.9].map((p, i) => ({ text: `t${i}`, trueLabels: [i === 3 ? 'b' : 'a'], predicted: ['a'], probabilities: { a: p, b: 1 - p } }));
  const split = reviewSplit('single_label', ['a', 'b'], rows, cutoff);
  assert.equal(split.toReview, 2);
  assert.deepEqual(rows.map((r) => Boolean((r as { needsReview?: boolean }).needsReview)), [true, true, false, false]);
  assert.equal(split.automatic.documents, 2);
  assert.equal(split.automatic.per_class.a.precision, 0.5);
});
