// Class weights, every row of the recommendation table, the review's warnings and its text form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildImbalanceReview, classWeights, formatReviewText, recommendStrategy, type ReviewInput } from '../shared/imbalance.js';

const closeAll = (actual: number[], expected: number[], what: string) =>
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-6, `${what}[${i}]: ${a} != ${expected[i]}`));

test('class weights for 9000 / 800 / 200 (the check in domain.md)', () => {
  // sqrt_inverse: proportional to 1/sqrt(n) -> 1 : sqrt(11.25) : sqrt(45) = 1 : 3.354102 : 6.708204,
  // mean 11.062306 / 3 = 3.687435 -> 0.271191, 0.909603, 1.819206.
  const sqrt = classWeights([9000, 800, 200], 'sqrt_inverse');
  closeAll(sqrt, [0.271191, 0.909603, 1.819206], 'sqrt_inverse');
  assert.ok(Math.abs(sqrt[2] / sqrt[0] - Math.sqrt(9000 / 200)) < 1e-12);
  // inverse: 1 : 11.25 : 45, mean 57.25 / 3 = 19.083333 -> 0.052402, 0.589520, 2.358079.
  closeAll(classWeights([9000, 800, 200], 'inverse'), [0.052402, 0.58952, 2.358079], 'inverse');
  // effective, beta 0.9999: beta^n = exp(n ln 0.9999) = exp(-0.900045), exp(-0.080004), exp(-0.020001)
  // -> 1 - beta^n = 0.593449, 0.076887, 0.019802 -> (1 - beta) / (1 - beta^n) = 1.685066e-4, 1.300604e-3, 5.049917e-3;
  // mean 2.173009e-3 -> 0.0775453, 0.5985268, 2.3239280.
  const effective = classWeights([9000, 800, 200], 'effective');
  closeAll(effective, [0.0775453, 0.5985268, 2.3239280], 'effective');
  for (const w of [sqrt, effective]) assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) / 3 - 1) < 1e-12, 'mean 1');
});

test('a class with no examples gets weight 0 and is left out of the mean', () => {
  // inverse over 100 and 25: 1/100 : 1/25, mean 0.025 -> 0.4 and 1.6.
  closeAll(classWeights([100, 0, 25], 'inverse'), [0.4, 0, 1.6], 'inverse with an empty class');
  assert.deepEqual(classWeights([0, 0], 'sqrt_inverse'), [0, 0]);
  assert.throws(() => classWeights([10, 5], 'effective', 1), /beta must be in \[0, 1\)/);
});

const rec = (counts: Record<string, number>, documents?: number) => recommendStrategy({ task: 'single_label', counts, documents });

test('recommendation table: below 5:1 is plain training', () => {
  const r = rec({ a: 100, b: 40 });
  assert.equal(r?.strategy, 'none');
  assert.deepEqual(r?.basis, ['largest : smallest = 2.5 : 1 (a 100 vs b 40)', 'minority share 28.6% (b)']);
  // Few examples but balanced: still plain training (the small-class warning covers it).
  assert.equal(rec({ a: 10, b: 5 })?.strategy, 'none');
});

test('recommendation table: 5:1 to 20:1 is sqrt-inverse weighted loss', () => {
  const r = rec({ a: 1000, b: 100 });
  assert.equal(r?.strategy, 'weighted');
  assert.equal(r?.weights, 'sqrt_inverse');
  assert.match(r!.basis[0], /10 : 1/);
});

test('recommendation table: 20:1 to 100:1 is focal loss with weights', () => {
  const r = rec({ spam: 2250, hard_ham: 50 });
  assert.equal(r?.strategy, 'focal');
  assert.equal(r?.gamma, 2);
  assert.equal(r?.weights, 'sqrt_inverse');
  // 2250 / 50 = 45; 50 / 2300 = 2.17%
  assert.deepEqual(r?.basis, ['largest : smallest = 45 : 1 (spam 2,250 vs hard_ham 50)', 'minority share 2.2% (hard_ham)']);
  assert.ok(r!.reason.length > 20);
});

test('recommendation table: a minority share under 5% alone also means focal loss', () => {
  // 10 : 1 only, but 100 / 2100 = 4.8% of the examples.
  const r = rec({ a: 1000, b: 1000, c: 100 });
  assert.equal(r?.strategy, 'focal');
  assert.match(r!.basis[1], /4\.8%/);
});

test('recommendation table: 100:1 and beyond is focal loss + oversampling', () => {
  const r = rec({ a: 5000, b: 40 });
  assert.equal(r?.strategy, 'focal+oversample');
  assert.equal(r?.gamma, 2);
  assert.match(r!.basis[0], /125 : 1/);
});

test('recommendation table: under 20 minority examples is oversampling, synthetic examples left to measurement', () => {
  const r = rec({ a: 500, b: 12 });
  assert.equal(r?.strategy, 'oversample');
  assert.match(r!.reason, /synthetic examples .* did not beat repetition alone: .* let the strategy search measure/);
  assert.ok(r!.basis.some((b) => /12 examples/.test(b)));
});

test('recommendation table: 100k+ documents with extreme imbalance undersample the majority', () => {
  const r = rec({ a: 200_000, b: 1000 });
  assert.equal(r?.strategy, 'undersample');
  assert.ok(r!.basis.some((b) => /201,000 labeled documents/.test(b)));
  // Large but only 50:1: focal loss, not undersampling.
  assert.equal(rec({ a: 150_000, b: 3000 })?.strategy, 'focal');
});

test('no recommendation with fewer than two non-empty classes', () => {
  assert.equal(rec({ a: 100, b: 0 }), null);
  assert.equal(rec({}), null);
});

const reviewInput = (over: Partial<ReviewInput>): ReviewInput => ({
  task: 'single_label',
  documents: 0,
  unlabeled: 0,
  classCounts: {},
  duplicateGroups: 0,
  duplicateDocuments: 0,
  conflictingGroups: 0,
  emptySkipped: 0,
  testFraction: 0.1,
  ...over,
});

test('review: shares, ratio, minority share and recommendation', () => {
  const review = buildImbalanceReview(reviewInput({ documents: 1010, unlabeled: 10, classCounts: { a: 900, b: 100 } }));
  assert.equal(review.labeled, 1000);
  assert.deepEqual(review.classes, [{ label: 'a', count: 900, share: 0.9 }, { label: 'b', count: 100, share: 0.1 }]);
  assert.equal(review.imbalanceRatio, 9);
  assert.equal(review.minorityShare, 0.1);
  assert.equal(review.recommendation?.strategy, 'weighted');
  assert.deepEqual(review.warnings.map((w) => w.kind), ['unlabeled']);
  assert.match(review.warnings[0].message, /10 documents have no label/);
});

test('review: classes too small for a test split, and small classes', () => {
  // test 10%: big 500 -> 50 test; mid 80 -> 8 (< 10: small); tiny4 -> round(0.4) = 0; tiny2 < 3 examples.
  const review = buildImbalanceReview(reviewInput({ documents: 586, classCounts: { big: 500, mid: 80, tiny4: 4, tiny2: 2 } }));
  const tooSmall = review.warnings.find((w) => w.kind === 'class_too_small_for_test');
  assert.deepEqual(tooSmall?.labels, ['tiny4', 'tiny2']);
  assert.match(tooSmall!.message, /tiny4 \(4 examples\), tiny2 \(2 examples\)/);
  // round(n * 0.1) >= 1 needs n >= 5.
  assert.match(tooSmall!.message, /10% held out for testing, a class needs at least 5 examples/);
  const bigTest = buildImbalanceReview(reviewInput({ documents: 586, classCounts: { big: 500, tiny4: 4 }, testFraction: 0.5 }));
  assert.equal(bigTest.warnings.find((w) => w.kind === 'class_too_small_for_test'), undefined, 'with half held out, 4 examples can be tested');
  const small = review.warnings.find((w) => w.kind === 'small_class');
  assert.deepEqual(small?.labels, ['mid']);
  assert.match(small!.message, /mid \(about 8 test examples\).*unreliable/);
});

test('review: too few classes, duplicates, conflicts and skipped empty texts', () => {
  const review = buildImbalanceReview(reviewInput({
    documents: 40, classCounts: { only: 40, unused: 0 }, duplicateGroups: 3, duplicateDocuments: 7, conflictingGroups: 1, emptySkipped: 2,
  }));
  const byKind = Object.fromEntries(review.warnings.map((w) => [w.kind, w]));
  assert.match(byKind.too_few_classes.message, /at least two classes/);
  assert.match(byKind.duplicates.message, /7 documents .* 3 groups/);
  assert.match(byKind.conflicting_labels.message, /1 group of duplicate documents carries different labels/);
  assert.match(byKind.empty_texts_skipped.message, /2 documents with empty text were skipped/);
  assert.equal(review.recommendation, null);
  assert.equal(review.imbalanceRatio, null);
});

test('review text shows the table, figures, recommendation and warnings', () => {
  const text = formatReviewText(buildImbalanceReview(reviewInput({
    documents: 2300, classCounts: { spam: 2250, hard_ham: 50 }, testFraction: 0.1,
  })));
  assert.match(text, /^spam\s+2,250\s+97\.8%$/m);
  assert.match(text, /^hard_ham\s+50\s+2\.2%$/m);
  assert.match(text, /Imbalance \(largest : smallest\): 45 : 1/);
  assert.match(text, /Recommendation: focal \(weights sqrt_inverse, gamma 2\)/);
  assert.match(text, /Why: /);
  assert.match(text, /hard_ham \(about 5 test examples\)/);
});
