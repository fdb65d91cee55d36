// Imbalance maths: class weights, the recommendation table of ../notes/domain.md, and the review shown before training.
import type {
  ClassCount,
  ImbalanceReview,
  Recommendation,
  ReviewWarning,
  TaskKind,
  WeightScheme,
} from './domain.js';
import { SMALL_SUPPORT } from './metrics.js';

/** Boundaries of the recommendation table (largest : smallest class, minority share, sizes). */
export const RECOMMENDATION_LIMITS = {
  weightedFromRatio: 5,
  focalFromRatio: 20,
  oversampleFromRatio: 100,
  focalBelowMinorityShare: 0.05,
  syntheticBelowExamples: 20,
  undersampleFromDocuments: 100_000,
  focalGamma: 2,
} as const;

/**
 * Per-class loss weights, normalised so the mean weight over non-empty classes is 1.
 * inverse: N / (K n_c); sqrt_inverse: sqrt(N / (K n_c)); effective (Cui et al. 2019): (1 - beta) / (1 - beta^n_c).
 * A class with no examples gets weight 0 and is left out of K and of the mean: it cannot contribute to the loss,
 * and counting it would shrink every other weight.
 */
export function classWeights(counts: number[], scheme: WeightScheme, beta = 0.9999): number[] {
  if (scheme === 'effective' && !(beta >= 0 && beta < 1)) throw new Error(`class weights: beta must be in [0, 1), got ${beta}`);
  const present = counts.filter((n) => n > 0);
  const total = present.reduce((a, b) => a + b, 0);
  const k = present.length;
  const raw = counts.map((n) => {
    if (n <= 0) return 0;
    switch (scheme) {
      case 'inverse':
        return total / (k * n);
      case 'sqrt_inverse':
        return Math.sqrt(total / (k * n));
      case 'effective':
        return (1 - beta) / (1 - Math.pow(beta, n));
    }
  });
  const meanWeight = raw.reduce((a, b) => a + b, 0) / (k || 1);
  return raw.map((w) => (meanWeight > 0 ? w / meanWeight : 0));
}

// ---------- plain-words formatting ----------

const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US');

const plural = (n: number, word: string): string => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

/** "45", "6.3": one decimal below 10, whole numbers above. */
export function formatRatio(ratio: number): string {
  return ratio >= 10 ? formatCount(ratio) : String(Math.round(ratio * 10) / 10);
}

/** "1.2%"; shares under 0.1% keep two significant digits so they do not read as 0. */
export function formatShare(share: number): string {
  const pct = share * 100;
  if (pct > 0 && pct < 0.1) return `${Number(pct.toPrecision(2))}%`;
  return `${Math.round(pct * 10) / 10}%`;
}

// ---------- recommendation ----------

interface ClassFigures {
  largest: [string, number];
  smallest: [string, number];
  total: number;
  ratio: number;
  minorityShare: number;
}

function classFigures(counts: Record<string, number>): ClassFigures | null {
  const present = Object.entries(counts).filter(([, n]) => n > 0);
  if (present.length < 2) return null;
  const largest = present.reduce((a, b) => (b[1] > a[1] ? b : a));
  // Ties go to the last class, so with equal counts the basis names two different classes.
  const smallest = present.reduce((a, b) => (b[1] <= a[1] ? b : a));
  const total = present.reduce((s, [, n]) => s + n, 0);
  return { largest, smallest, total, ratio: largest[1] / smallest[1], minorityShare: smallest[1] / total };
}

export interface RecommendationInput {
  task: TaskKind;
  /** Examples per class (multi-label: documents carrying each label). */
  counts: Record<string, number>;
  /** Labeled documents; defaults to the sum of counts (exact for single-label). Used for the 100k+ undersampling row. */
  documents?: number;
}

/**
 * The recommendation table of domain.md, checked in this order:
 * 1. below 5:1 -> plain loss. The small-share and few-examples rows apply only to data that is imbalanced at all
 *    (5:1 or more): thirty balanced classes each hold under 5%, and that is not an imbalance to correct.
 * 2. minority under 20 examples -> synthetic examples (to be reviewed) + oversampling.
 * 3. 100,000+ documents and 100:1 or more -> undersample the majority.
 * 4. 100:1 or more -> focal loss (gamma 2) + oversampling (no weights: oversampling already rebalances).
 * 5. 20:1 or more, or minority share under 5% -> focal loss (gamma 2) with sqrt-inverse weights.
 * 6. 5:1 or more -> weighted cross-entropy with sqrt-inverse weights.
 * sqrt-inverse rather than inverse weights: at 20:1 inverse weights make one minority example count 20 times, so a
 * handful of examples steer the model (high variance); the square root still lifts the minority (4.5x at 20:1) and
 * stays stable, and with focal loss, which already down-weights the easy majority, the full inverse would overshoot.
 * Returns null with fewer than two non-empty classes.
 */
export function recommendStrategy(input: RecommendationInput): Recommendation | null {
  const figures = classFigures(input.counts);
  if (!figures) return null;
  const L = RECOMMENDATION_LIMITS;
  const { largest, smallest, ratio, minorityShare } = figures;
  const documents = input.documents ?? figures.total;
  const ratioLine = `largest : smallest = ${formatRatio(ratio)} : 1 (${largest[0]} ${formatCount(largest[1])} vs ${smallest[0]} ${formatCount(smallest[1])})`;
  const shareLine = `minority share ${formatShare(minorityShare)} (${smallest[0]})`;
  const basis = [ratioLine, shareLine];
  const [what, whats] = input.task === 'multi_label' ? ['label', 'labels'] : ['class', 'classes'];

  if (ratio < L.weightedFromRatio) {
    return {
      strategy: 'none',
      basis,
      reason: `The ${whats} are roughly balanced (less than ${L.weightedFromRatio} : 1), so plain training is used; re-weighting would add noise for little gain.`,
    };
  }
  if (smallest[1] < L.syntheticBelowExamples) {
    basis.push(`${smallest[0]} has only ${plural(smallest[1], 'example')} (under ${L.syntheticBelowExamples})`);
    // Not synthetic examples by default: on our e-mail benchmark they did not beat repetition alone, so they are
    // offered for review and left to the strategy search to measure.
    return {
      strategy: 'oversample',
      basis,
      reason: `${smallest[0]} has too few examples for the model to learn from, even with extra weight. Its examples are repeated during training; labeling more real examples helps most. Reviewed synthetic examples can add variety, but on our e-mail benchmark they did not beat repetition alone: if you accept some, let the strategy search measure whether they help here.`,
    };
  }
  if (documents >= L.undersampleFromDocuments && ratio >= L.oversampleFromRatio) {
    basis.push(`${formatCount(documents)} labeled documents (${formatCount(L.undersampleFromDocuments)} or more)`);
    return {
      strategy: 'undersample',
      basis,
      reason: `There is a lot of data and the imbalance is extreme, so part of the largest ${whats} is left out of each training pass. Training gets much faster and little information is lost.`,
    };
  }
  if (ratio >= L.oversampleFromRatio) {
    return {
      strategy: 'focal+oversample',
      gamma: L.focalGamma,
      basis,
      reason: `The smallest ${what} is over ${L.oversampleFromRatio} times rarer than the largest, so the model would rarely see it. Its examples are repeated during training, and focal loss stops the many easy examples from dominating.`,
    };
  }
  if (ratio >= L.focalFromRatio || minorityShare < L.focalBelowMinorityShare) {
    return {
      strategy: 'focal',
      gamma: L.focalGamma,
      weights: 'sqrt_inverse',
      basis,
      reason: `The imbalance is strong, so focal loss is used: it stops the many easy examples of large ${whats} from dominating what the model learns, and rarer ${whats} get extra weight.`,
    };
  }
  return {
    strategy: 'weighted',
    weights: 'sqrt_inverse',
    basis,
    reason: `The ${whats} are moderately imbalanced (${formatRatio(ratio)} : 1), so mistakes on rarer ${whats} count more in training. This is cheap and stable.`,
  };
}

// ---------- review ----------

export interface ReviewInput {
  task: TaskKind;
  documents: number;
  unlabeled: number;
  classCounts: Record<string, number>;
  duplicateGroups: number;
  duplicateDocuments: number;
  conflictingGroups: number;
  emptySkipped: number;
  /** Exact copies skipped at import (the project keeps one document per text); 0 when unknown. */
  exactDuplicatesSkipped?: number;
  testFraction: number;
}

/** Fewer examples than this and a class cannot be split into train, validation and test. */
export const MIN_EXAMPLES_TO_SPLIT = 3;

const listNames = (items: string[]): string => items.join(', ');

/** The fewest examples for which round(n * testFraction) >= 1, and never fewer than MIN_EXAMPLES_TO_SPLIT (testFraction > 0). */
function minimumToTest(testFraction: number): number {
  let n = MIN_EXAMPLES_TO_SPLIT;
  while (Math.round(n * testFraction) < 1) n++;
  return n;
}

function splitWarnings(classes: ClassCount[], testFraction: number): ReviewWarning[] {
  if (testFraction <= 0) return []; // no test split was asked for: nothing per class will be measured anyway
  const tooSmall: ClassCount[] = [];
  const small: ClassCount[] = [];
  for (const c of classes) {
    const expectedTest = Math.round(c.count * testFraction);
    if (c.count < minimumToTest(testFraction)) tooSmall.push(c);
    else if (expectedTest < SMALL_SUPPORT) small.push(c);
  }
  const testPct = formatShare(testFraction);
  const warnings: ReviewWarning[] = [];
  if (tooSmall.length) {
    const detail = listNames(tooSmall.map((c) => `${c.label} (${plural(c.count, 'example')})`));
    warnings.push({
      kind: 'class_too_small_for_test',
      labels: tooSmall.map((c) => c.label),
      count: tooSmall.length,
      message: `Too few examples to test: ${detail}. With ${testPct} held out for testing, a class needs at least ${formatCount(minimumToTest(testFraction))} examples to expect even one test example, so results for ${tooSmall.length === 1 ? 'this class' : 'these classes'} cannot be measured. Label more examples.`,
    });
  }
  if (small.length) {
    const detail = listNames(small.map((c) => `${c.label} (about ${plural(Math.round(c.count * testFraction), 'test example')})`));
    warnings.push({
      kind: 'small_class',
      labels: small.map((c) => c.label),
      count: small.length,
      message: `Fewer than ${SMALL_SUPPORT} test examples: ${detail}. Per-class figures for ${small.length === 1 ? 'this class' : 'these classes'} will be unreliable.`,
    });
  }
  return warnings;
}

function dataWarnings(input: ReviewInput): ReviewWarning[] {
  const warnings: ReviewWarning[] = [];
  const exactSkipped = input.exactDuplicatesSkipped ?? 0;
  if (input.duplicateGroups > 0 || exactSkipped > 0) {
    // Exact copies never reach the project (one document per text), so the groups left are near-exact copies.
    const parts: string[] = [];
    if (exactSkipped > 0) parts.push(`${formatCount(exactSkipped)} ${exactSkipped === 1 ? 'exact copy of another document was' : 'exact copies of other documents were'} skipped at import (one document per text is kept).`);
    if (input.duplicateGroups > 0) parts.push(`${plural(input.duplicateDocuments, 'document')} are near-exact copies of each other (differing only in case, spacing or punctuation), in ${plural(input.duplicateGroups, 'group')}. Each group is kept together in one split so copies cannot inflate the test results.`);
    warnings.push({ kind: 'duplicates', count: input.duplicateDocuments + exactSkipped, message: parts.join(' ') });
  }
  if (input.conflictingGroups > 0) {
    warnings.push({
      kind: 'conflicting_labels',
      count: input.conflictingGroups,
      message: `${plural(input.conflictingGroups, 'group')} of duplicate documents ${input.conflictingGroups === 1 ? 'carries' : 'carry'} different labels. Check them: the model cannot learn two answers for the same text.`,
    });
  }
  if (input.emptySkipped > 0) {
    warnings.push({
      kind: 'empty_texts_skipped',
      count: input.emptySkipped,
      message: `${plural(input.emptySkipped, 'document')} with empty text ${input.emptySkipped === 1 ? 'was' : 'were'} skipped.`,
    });
  }
  if (input.unlabeled > 0) {
    warnings.push({
      kind: 'unlabeled',
      count: input.unlabeled,
      message: `${plural(input.unlabeled, 'document')} ${input.unlabeled === 1 ? 'has' : 'have'} no label and will not be used for training or testing.`,
    });
  }
  return warnings;
}

/** The imbalance review shown before training: class shares, imbalance figures, a recommendation and warnings. */
export function buildImbalanceReview(input: ReviewInput): ImbalanceReview {
  const entries = Object.entries(input.classCounts);
  const assignments = entries.reduce((s, [, n]) => s + n, 0);
  const classes: ClassCount[] = entries.map(([label, count]) => ({ label, count, share: assignments ? count / assignments : 0 }));
  const figures = classFigures(input.classCounts);
  const labeled = input.documents - input.unlabeled;
  const warnings: ReviewWarning[] = [];
  const present = classes.filter((c) => c.count > 0).length;
  if (present < 2) {
    warnings.push({
      kind: 'too_few_classes',
      count: present,
      message: `Training needs at least two classes with examples; found ${present}.`,
    });
  }
  warnings.push(...splitWarnings(classes, input.testFraction), ...dataWarnings(input));
  return {
    task: input.task,
    documents: input.documents,
    labeled,
    unlabeled: input.unlabeled,
    classes,
    imbalanceRatio: figures ? figures.ratio : null,
    minorityShare: figures ? figures.minorityShare : null,
    duplicateGroups: input.duplicateGroups,
    duplicateDocuments: input.duplicateDocuments,
    exactDuplicatesSkipped: input.exactDuplicatesSkipped ?? 0,
    conflictingGroups: input.conflictingGroups,
    recommendation: recommendStrategy({ task: input.task, counts: input.classCounts, documents: labeled }),
    warnings,
  };
}

/** The review as plain text, as `finetune inspect` prints it. */
export function formatReviewText(review: ImbalanceReview): string {
  const lines: string[] = [];
  const what = review.task === 'multi_label' ? 'multi-label' : 'single-label';
  lines.push(`${formatCount(review.documents)} documents (${what}): ${formatCount(review.labeled)} labeled, ${formatCount(review.unlabeled)} unlabeled`);
  lines.push('');
  const header = ['label', 'count', 'share'];
  const rows = review.classes.map((c) => [c.label, formatCount(c.count), formatShare(c.share)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
  lines.push('');
  if (review.imbalanceRatio !== null && review.minorityShare !== null) {
    lines.push(`Imbalance (largest : smallest): ${formatRatio(review.imbalanceRatio)} : 1`);
    lines.push(`Minority share: ${formatShare(review.minorityShare)}`);
  }
  const rec = review.recommendation;
  if (rec) {
    const extras = [rec.weights ? `weights ${rec.weights}` : '', rec.gamma !== undefined ? `gamma ${rec.gamma}` : ''].filter(Boolean);
    lines.push(`Recommendation: ${rec.strategy}${extras.length ? ` (${extras.join(', ')})` : ''}`);
    lines.push(...rec.basis.map((b) => `  - ${b}`));
    lines.push(`  Why: ${rec.reason}`);
  } else {
    lines.push('Recommendation: none (training needs at least two classes with examples)');
  }
  if (review.warnings.length) {
    lines.push('', 'Warnings:');
    lines.push(...review.warnings.map((w) => `  ! ${w.message}`));
  }
  return lines.join('\n') + '\n';
}
