// Classification metrics with scikit-learn's exact definitions (precision_recall_fscore_support with
// labels=all labels, average=None/micro/macro/weighted, zero_division=0), plus bootstrap intervals.
import type { PerClassMetrics } from './domain.js';
import { createRng, randomInt } from './random.js';

/** A class with fewer test examples than this gets smallSupport: its figures are unreliable. */
export const SMALL_SUPPORT = 10;

export interface ClassificationMetrics {
  accuracy: number;
  f1_macro: number;
  f1_micro: number;
  f1_weighted: number;
  per_class: Record<string, PerClassMetrics>;
}

export interface SingleLabelMetrics extends ClassificationMetrics {
  /** Rows = true class, columns = predicted class, both in `labels` order. */
  confusion_matrix: { labels: string[]; matrix: number[][] };
}

/** Per-class true positive, false positive and false negative counts. */
interface Counts {
  tp: number[];
  fp: number[];
  fn: number[];
}

const ratioOrZero = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/** sklearn's F1: 2TP / (2TP + FP + FN), 0 when the class never occurs in truth or predictions. */
export const f1FromCounts = (tp: number, fp: number, fn: number): number => ratioOrZero(2 * tp, 2 * tp + fp + fn);

function emptyCounts(numClasses: number): Counts {
  const zeros = () => new Array<number>(numClasses).fill(0);
  return { tp: zeros(), fp: zeros(), fn: zeros() };
}

function checkIndex(value: number, numClasses: number, where: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= numClasses) {
    throw new Error(`${where}: class index ${value} is outside 0..${numClasses - 1}`);
  }
}

/** Every row index 0..n-1: the default set of rows to count. */
const allRows = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Counts over the given rows (all rows by default; a bootstrap passes its resampled row indices). */
function singleLabelCounts(yTrue: number[], yPred: number[], numClasses: number, rows: ArrayLike<number> = allRows(yTrue.length)): Counts {
  if (yTrue.length !== yPred.length) throw new Error(`metrics: ${yTrue.length} true labels but ${yPred.length} predictions`);
  const counts = emptyCounts(numClasses);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    checkIndex(yTrue[i], numClasses, `metrics: true label of row ${i}`);
    checkIndex(yPred[i], numClasses, `metrics: prediction of row ${i}`);
    if (yTrue[i] === yPred[i]) counts.tp[yTrue[i]]++;
    else {
      counts.fn[yTrue[i]]++;
      counts.fp[yPred[i]]++;
    }
  }
  return counts;
}

function multiLabelCounts(yTrue: number[][], yPred: number[][], numClasses: number, rows: ArrayLike<number> = allRows(yTrue.length)): Counts {
  if (yTrue.length !== yPred.length) throw new Error(`metrics: ${yTrue.length} true rows but ${yPred.length} predicted rows`);
  const counts = emptyCounts(numClasses);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    if (yTrue[i].length !== numClasses || yPred[i].length !== numClasses) {
      throw new Error(`metrics: row ${i} has ${yTrue[i].length} true and ${yPred[i].length} predicted columns, expected ${numClasses}`);
    }
    for (let c = 0; c < numClasses; c++) {
      const t = yTrue[i][c] !== 0;
      const p = yPred[i][c] !== 0;
      if (t && p) counts.tp[c]++;
      else if (t) counts.fn[c]++;
      else if (p) counts.fp[c]++;
    }
  }
  return counts;
}

function perClassF1(counts: Counts): number[] {
  return counts.tp.map((tp, c) => f1FromCounts(tp, counts.fp[c], counts.fn[c]));
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]): number => ratioOrZero(sum(xs), xs.length);

function summarise(counts: Counts, labels: string[], accuracy: number): ClassificationMetrics {
  const per_class: Record<string, PerClassMetrics> = {};
  const f1s = perClassF1(counts);
  let weightedSum = 0;
  let totalSupport = 0;
  labels.forEach((label, c) => {
    const tp = counts.tp[c];
    const fp = counts.fp[c];
    const support = tp + counts.fn[c];
    const entry: PerClassMetrics = {
      precision: ratioOrZero(tp, tp + fp),
      recall: ratioOrZero(tp, support),
      f1: f1s[c],
      support,
    };
    if (tp + fp === 0) entry.undefinedPrecision = true;
    if (support === 0) entry.undefinedRecall = true;
    if (support < SMALL_SUPPORT) entry.smallSupport = true;
    per_class[label] = entry;
    weightedSum += f1s[c] * support;
    totalSupport += support;
  });
  return {
    accuracy,
    f1_macro: mean(f1s),
    f1_micro: f1FromCounts(sum(counts.tp), sum(counts.fp), sum(counts.fn)),
    f1_weighted: ratioOrZero(weightedSum, totalSupport),
    per_class,
  };
}

/** Metrics for single-label predictions; yTrue/yPred hold indices into `labels`. */
export function singleLabelMetrics(yTrue: number[], yPred: number[], labels: string[]): SingleLabelMetrics {
  const counts = singleLabelCounts(yTrue, yPred, labels.length);
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[yTrue[i]][yPred[i]]++;
  const correct = sum(counts.tp);
  return {
    ...summarise(counts, labels, ratioOrZero(correct, yTrue.length)),
    confusion_matrix: { labels: [...labels], matrix },
  };
}

/** Metrics for multi-label 0/1 indicator matrices; accuracy is the exact-match (subset) ratio. */
export function multiLabelMetrics(yTrue: number[][], yPred: number[][], labels: string[]): ClassificationMetrics {
  const counts = multiLabelCounts(yTrue, yPred, labels.length);
  let exact = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i].every((t, c) => (t !== 0) === (yPred[i][c] !== 0))) exact++;
  }
  return summarise(counts, labels, ratioOrZero(exact, yTrue.length));
}

/** Macro F1 over all classes, for early stopping: class indices (single-label) or 0/1 rows (multi-label). */
export function macroF1(yTrue: number[], yPred: number[], numClasses: number): number;
export function macroF1(yTrue: number[][], yPred: number[][], numClasses: number): number;
export function macroF1(yTrue: number[] | number[][], yPred: number[] | number[][], numClasses: number): number {
  const counts = Array.isArray(yTrue[0])
    ? multiLabelCounts(yTrue as number[][], yPred as number[][], numClasses)
    : singleLabelCounts(yTrue as number[], yPred as number[], numClasses);
  return mean(perClassF1(counts));
}

/** numpy.percentile's default (linear interpolation between closest ranks) on a sorted array. */
export function percentileSorted(sorted: number[], q: number): number {
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The 2.5th and 97.5th percentiles of bootstrap draws ([0, 0] when there are none). Sorts `values`. */
function interval95(values: number[]): [number, number] {
  const sorted = values.sort((a, b) => a - b);
  return sorted.length === 0 ? [0, 0] : [percentileSorted(sorted, 2.5), percentileSorted(sorted, 97.5)];
}

export interface BootstrapOptions {
  iterations?: number;
  seed?: number;
  multiLabel?: boolean;
}

/** Fewer positives than this behind an interval and it is reported as "too few to tell" (domain.md). */
export const TOO_FEW_TO_TELL = 5;

/**
 * 95% percentile bootstrap intervals of each class's F1 and of macro-F1: each iteration draws as many test rows as
 * there are, uniformly with replacement (rows, not classes, are resampled, so a rare class's support varies between
 * draws), recomputes every class's F1, and the interval is the 2.5th and 97.5th percentile over iterations. A draw in
 * which a class appears in neither truth nor predictions says nothing about it (F1 0/0) and is left out for that
 * class; a class never defined in any draw gets [0, 0]. Macro-F1 is the mean over all classes in every draw.
 */
export function bootstrapF1(
  yTrue: number[] | number[][],
  yPred: number[] | number[][],
  labels: string[],
  { iterations = 1000, seed = 0, multiLabel = false }: BootstrapOptions = {},
): { perClass: Record<string, [number, number]>; macro: [number, number] } {
  const n = yTrue.length;
  const k = labels.length;
  const samples: number[][] = labels.map(() => []);
  const macroSamples: number[] = [];
  const rng = createRng(seed);
  const rows = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    for (let r = 0; r < n; r++) rows[r] = randomInt(n, rng);
    const counts = multiLabel
      ? multiLabelCounts(yTrue as number[][], yPred as number[][], k, rows)
      : singleLabelCounts(yTrue as number[], yPred as number[], k, rows);
    const f1s = perClassF1(counts);
    f1s.forEach((f1, c) => {
      if (counts.tp[c] + counts.fp[c] + counts.fn[c] > 0) samples[c].push(f1);
    });
    macroSamples.push(mean(f1s));
  }
  const perClass: Record<string, [number, number]> = {};
  labels.forEach((label, c) => (perClass[label] = interval95(samples[c])));
  return { perClass, macro: interval95(macroSamples) };
}

/**
 * Two single-label predictors on the same rows: each draw resamples the rows once and scores both, so the interval
 * of the difference (a − b) shows how far one beats the other beyond the luck of which documents were drawn.
 */
export function pairedBootstrapMacroF1(
  yTrue: number[],
  predA: number[],
  predB: number[],
  numClasses: number,
  { iterations = 1000, seed = 0 }: Pick<BootstrapOptions, 'iterations' | 'seed'> = {},
): { a: [number, number]; b: [number, number]; difference: [number, number] } {
  const n = yTrue.length;
  const rng = createRng(seed);
  const rows = new Int32Array(n);
  const a: number[] = [], b: number[] = [], d: number[] = [];
  for (let it = 0; it < iterations; it++) {
    for (let r = 0; r < n; r++) rows[r] = randomInt(n, rng);
    const fa = mean(perClassF1(singleLabelCounts(yTrue, predA, numClasses, rows)));
    const fb = mean(perClassF1(singleLabelCounts(yTrue, predB, numClasses, rows)));
    a.push(fa);
    b.push(fb);
    d.push(fa - fb);
  }
  return { a: interval95(a), b: interval95(b), difference: interval95(d) };
}

/** The per-class part of bootstrapF1. */
export function bootstrapF1Intervals(
  yTrue: number[] | number[][],
  yPred: number[] | number[][],
  labels: string[],
  options: BootstrapOptions = {},
): Record<string, [number, number]> {
  return bootstrapF1(yTrue, yPred, labels, options).perClass;
}
