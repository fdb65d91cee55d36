// Scores of out-of-fold predictions: decisions (argmax, or thresholds tuned without seeing the fold they decide),
// macro-F1 and per-class F1 averaged over repeats, and percentile-bootstrap intervals over documents. Every
// candidate is resampled with the same draws, so differences between candidates are paired.
import type { Estimate, TaskKind } from '../../../../shared/domain.js';
import { DEFAULT_THRESHOLD, sigmoid, tuneThresholds } from '../../../../shared/calibration.js';
import { decideWithOffsets, tuneOffsets } from '../../../../shared/decision.js';
import { f1FromCounts, TOO_FEW_TO_TELL } from '../../../../shared/metrics.js';
import { createRng, randomInt } from '../../../../shared/random.js';
import type { FoldPlan } from './cross-validation.js';

/** Predicted classes per document, per repeat. */
export type RepeatedDecisions = number[][][];

const rowOf = (logits: Float64Array, i: number, K: number) => logits.subarray(i * K, (i + 1) * K);

/** Single-label offsets or multi-label thresholds tuned on some rows' logits. */
export function tuneDecision(task: TaskKind, logits: Float64Array, truth: number[][], rows: number[], K: number): number[] {
  if (task === 'single_label') return tuneOffsets(rows.map((i) => rowOf(logits, i, K)), rows.map((i) => truth[i][0]), K);
  const probabilities = rows.map((i) => Array.from(rowOf(logits, i, K), sigmoid));
  const truth01 = rows.map((i) => Array.from({ length: K }, (_, c) => (truth[i].includes(c) ? 1 : 0)));
  return tuneThresholds(probabilities, truth01);
}

/** The classes decided for one row of logits: offsets (single-label) or thresholds on σ(z) (multi-label). */
export function decideRow(task: TaskKind, z: ArrayLike<number>, tuned: number[] | null): number[] {
  if (task === 'single_label') return [decideWithOffsets(z, tuned)];
  const out: number[] = [];
  for (let c = 0; c < z.length; c++) if (sigmoid(z[c]) >= (tuned ? tuned[c] : DEFAULT_THRESHOLD)) out.push(c);
  return out;
}

/**
 * Decisions on out-of-fold logits. 'tuned' is cross-fitted: the rows of fold f are decided with thresholds tuned on
 * the other folds' out-of-fold rows, so the score measures tuning as it will behave on unseen documents.
 */
export function decideOutOfFold(task: TaskKind, logitsPerRepeat: Float64Array[], plans: FoldPlan[][], truth: number[][], K: number, mode: 'argmax' | 'tuned'): RepeatedDecisions {
  return logitsPerRepeat.map((logits, repeat) => {
    const n = truth.length;
    const decided: number[][] = new Array(n);
    if (mode === 'argmax') {
      for (let i = 0; i < n; i++) decided[i] = decideRow(task, rowOf(logits, i, K), null);
      return decided;
    }
    for (const plan of plans[repeat]) {
      const held = new Set(plan.heldOut);
      const others = Array.from({ length: n }, (_, i) => i).filter((i) => !held.has(i));
      const tuned = tuneDecision(task, logits, truth, others, K);
      for (const i of plan.heldOut) decided[i] = decideRow(task, rowOf(logits, i, K), tuned);
    }
    return decided;
  });
}

/** Per-class F1 of decisions against truth, each document counted `weight[i]` times. */
function perClassF1(truth: number[][], decided: number[][], K: number, weight?: Int32Array): number[] {
  const tp = new Float64Array(K);
  const fp = new Float64Array(K);
  const fn = new Float64Array(K);
  for (let i = 0; i < truth.length; i++) {
    const w = weight ? weight[i] : 1;
    if (w === 0) continue;
    const t = truth[i];
    const p = decided[i];
    for (const c of p) {
      if (t.includes(c)) tp[c] += w;
      else fp[c] += w;
    }
    for (const c of t) if (!p.includes(c)) fn[c] += w;
  }
  return Array.from({ length: K }, (_, c) => f1FromCounts(tp[c], fp[c], fn[c]));
}

const average = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : 0;
};

function percentile(sorted: Float64Array, q: number): number {
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface DecisionScore {
  macro: Estimate & { seedSpread: number };
  perClass: Array<Estimate & { tooFewToTell?: boolean }>;
  /** Macro-F1 of each bootstrap draw (same draws for every candidate): for paired differences. */
  draws: Float64Array;
}

/**
 * Mean over repeats of macro-F1 and per-class F1, with 95% percentile-bootstrap intervals: each draw resamples the
 * documents with replacement and averages the repeats' F1 on that resample. `seed` fixes the draws, so two
 * candidates scored with the same seed see the same resamples.
 */
export function scoreDecisions(truth: number[][], decisions: RepeatedDecisions, K: number, draws: number, seed: number): DecisionScore {
  const perRepeat = decisions.map((decided) => perClassF1(truth, decided, K));
  const macroPerRepeat = perRepeat.map(average);
  const macroMean = average(macroPerRepeat);
  const spread = Math.sqrt(average(macroPerRepeat.map((m) => (m - macroMean) ** 2)));
  const rng = createRng(seed);
  const weight = new Int32Array(truth.length);
  const macroDraws = new Float64Array(draws);
  const classDraws = Array.from({ length: K }, () => new Float64Array(draws));
  for (let b = 0; b < draws; b++) {
    weight.fill(0);
    for (let i = 0; i < truth.length; i++) weight[randomInt(truth.length, rng)]++;
    const f1s = new Float64Array(K);
    for (const decided of decisions) {
      const f = perClassF1(truth, decided, K, weight);
      for (let c = 0; c < K; c++) f1s[c] += f[c] / decisions.length;
    }
    macroDraws[b] = average(f1s);
    for (let c = 0; c < K; c++) classDraws[c][b] = f1s[c];
  }
  const interval = (values: Float64Array): [number, number] => {
    if (values.length === 0) return [Number.NaN, Number.NaN];
    const sorted = Float64Array.from(values).sort();
    return [percentile(sorted, 2.5), percentile(sorted, 97.5)];
  };
  const positives = new Array<number>(K).fill(0);
  for (const t of truth) for (const c of t) positives[c]++;
  const [low, high] = interval(macroDraws);
  return {
    macro: { mean: macroMean, low, high, seedSpread: spread },
    perClass: Array.from({ length: K }, (_, c) => {
      const [lo, hi] = interval(classDraws[c]);
      const estimate: Estimate & { tooFewToTell?: boolean } = { mean: average(perRepeat.map((f) => f[c])), low: lo, high: hi };
      if (positives[c] < TOO_FEW_TO_TELL) estimate.tooFewToTell = true;
      return estimate;
    }),
    draws: macroDraws,
  };
}

/** Paired difference best − other over the shared bootstrap draws: mean and standard error. */
export function pairedDifference(best: DecisionScore, other: DecisionScore): { difference: number; standardError: number } {
  const d = best.draws.map((x, b) => x - other.draws[b]);
  const mean = average(d);
  const variance = average(d.map((x) => (x - mean) ** 2));
  return { difference: best.macro.mean - other.macro.mean, standardError: Math.sqrt(variance) };
}

/** Mean log-loss of out-of-fold logits (softmax, or per-class sigmoid averaged over classes). */
export function outOfFoldLogLoss(task: TaskKind, logitsPerRepeat: Float64Array[], truth: number[][], K: number): number {
  let total = 0;
  for (const logits of logitsPerRepeat) {
    for (let i = 0; i < truth.length; i++) {
      const z = rowOf(logits, i, K);
      if (task === 'single_label') {
        let max = -Infinity;
        for (let c = 0; c < K; c++) max = Math.max(max, z[c]);
        let sum = 0;
        for (let c = 0; c < K; c++) sum += Math.exp(z[c] - max);
        total += max + Math.log(sum) - z[truth[i][0]];
      } else {
        let cell = 0;
        for (let c = 0; c < K; c++) {
          const s = truth[i].includes(c) ? z[c] : -z[c];
          cell += s >= 0 ? Math.log1p(Math.exp(-s)) : -s + Math.log1p(Math.exp(s));
        }
        total += cell / K;
      }
    }
  }
  return total / (truth.length * logitsPerRepeat.length);
}
