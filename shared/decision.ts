// Single-label decisions that need not be argmax (domain.md, "Model selection and decisions under extreme
// imbalance"): per-class offsets δ added to the log-probabilities, predict argmax_k (log p_k + δ_k). Offsets are
// tuned to maximise macro-F1 on out-of-fold predictions; for two classes they are a threshold on one probability.
import { f1FromCounts } from './metrics.js';

/** Largest |δ| tried: e^8 ≈ 3000× — beyond it a class would be predicted for documents it is near-certainly not. */
export const MAX_OFFSET = 8;

/** argmax_k (scores[k] + offsets[k]); ties go to the lower class index. */
export function decideWithOffsets(scores: ArrayLike<number>, offsets: ArrayLike<number> | null): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let k = 0; k < scores.length; k++) {
    const v = scores[k] + (offsets ? offsets[k] : 0);
    if (v > bestValue) {
      bestValue = v;
      best = k;
    }
  }
  return best;
}

export interface OffsetOptions {
  /** Coordinate-ascent passes over the classes (each pass never lowers macro-F1). */
  sweeps?: number;
  maxOffset?: number;
}

/**
 * Offsets maximising macro-F1 of argmax(scores + δ) against truth, by coordinate ascent: for one class k with the
 * others fixed, a document is predicted k exactly when δ_k exceeds its breakpoint max_{j≠k}(s_j + δ_j) − s_k, so
 * sorting the breakpoints and moving documents over one by one evaluates every distinct δ_k exactly (two classes'
 * counts change per move). Each δ_k is put in the middle of its best interval; among equally good intervals the one
 * nearest the current value wins, so offsets move only when that pays. Offsets are returned centred (mean 0).
 * scores: one row per document (log-probabilities or logits; offsets are invariant to a per-row constant).
 */
export function tuneOffsets(scores: ArrayLike<number>[], truth: number[], classes: number, options: OffsetOptions = {}): number[] {
  const sweeps = options.sweeps ?? 3;
  const maxOffset = options.maxOffset ?? MAX_OFFSET;
  const n = scores.length;
  const offsets = new Array<number>(classes).fill(0);
  if (n === 0) return offsets;
  const predicted = scores.map((row) => decideWithOffsets(row, offsets));
  const tp = new Array<number>(classes).fill(0);
  const fp = new Array<number>(classes).fill(0);
  const fn = new Array<number>(classes).fill(0);
  const recount = () => {
    tp.fill(0);
    fp.fill(0);
    fn.fill(0);
    predicted.forEach((p, i) => {
      if (p === truth[i]) tp[p]++;
      else {
        fp[p]++;
        fn[truth[i]]++;
      }
    });
  };
  const f1 = (c: number) => f1FromCounts(tp[c], fp[c], fn[c]);
  const breakpoint = new Float64Array(n);
  const rival = new Int32Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let moved = false;
    for (let k = 0; k < classes; k++) {
      for (let i = 0; i < n; i++) {
        let best = -Infinity;
        let arg = -1;
        for (let j = 0; j < classes; j++) {
          if (j === k) continue;
          const v = scores[i][j] + offsets[j];
          if (v > best) {
            best = v;
            arg = j;
          }
        }
        breakpoint[i] = best - scores[i][k];
        rival[i] = arg;
      }
      order.sort((a, b) => breakpoint[a] - breakpoint[b]);
      // Start with δ_k below every breakpoint: no document goes to k.
      for (let i = 0; i < n; i++) predicted[i] = rival[i];
      recount();
      let sumF1 = 0;
      for (let c = 0; c < classes; c++) sumF1 += f1(c);
      // One candidate per interval between consecutive breakpoints: δ_k inside it gives the counts reached so far.
      const candidates: Array<{ value: number; score: number }> = [];
      const consider = (lo: number, hi: number, score: number) => {
        const inside = lo === -Infinity ? hi - 1 : hi === Infinity ? lo + 1 : (lo + hi) / 2;
        const value = Math.min(maxOffset, Math.max(-maxOffset, inside));
        if (value > lo && value < hi) candidates.push({ value, score });
      };
      consider(-Infinity, breakpoint[order[0]], sumF1);
      for (let t = 0; t < n; t++) {
        const i = order[t];
        const from = rival[i];
        sumF1 -= f1(from) + f1(k);
        if (truth[i] === from) {
          tp[from]--;
          fn[from]++;
        } else fp[from]--;
        if (truth[i] === k) {
          tp[k]++;
          fn[k]--;
        } else fp[k]++;
        sumF1 += f1(from) + f1(k);
        const next = t + 1 < n ? breakpoint[order[t + 1]] : Infinity;
        if (next === breakpoint[i]) continue; // documents on the same breakpoint move together
        consider(breakpoint[i], next, sumF1);
      }
      let chosen = offsets[k];
      let bestScore = -Infinity;
      for (const candidate of candidates) {
        const better = candidate.score > bestScore + 1e-12;
        const tie = Math.abs(candidate.score - bestScore) <= 1e-12 && Math.abs(candidate.value - offsets[k]) < Math.abs(chosen - offsets[k]);
        if (better || tie) {
          bestScore = candidate.score;
          chosen = candidate.value;
        }
      }
      if (chosen !== offsets[k]) moved = true;
      offsets[k] = chosen;
      for (let i = 0; i < n; i++) predicted[i] = decideWithOffsets(scores[i], offsets);
    }
    if (!moved) break;
  }
  const mean = offsets.reduce((a, b) => a + b, 0) / classes;
  return offsets.map((o) => o - mean);
}

/**
 * The single-label decision rule a model stores: predict argmax_k (scale_k · p_k − shift_k) over the calibrated
 * probabilities. Plain argmax is scale 1, shift 0; tuned offsets δ are scale e^δ (shift 0); costs are
 * scale = miss + false alarm, shift = false alarm (the expected-cost minimiser, domain.md).
 */
export interface DecisionRule {
  scale: number[];
  shift: number[];
}

export function decideByRule(probabilities: ArrayLike<number>, rule: DecisionRule | null): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let k = 0; k < probabilities.length; k++) {
    const v = rule ? rule.scale[k] * probabilities[k] - rule.shift[k] : probabilities[k];
    if (v > bestValue) {
      bestValue = v;
      best = k;
    }
  }
  return best;
}

/** argmax(log p + δ) as a rule: scale e^(δ − max δ) (the common factor changes nothing). */
export function ruleFromOffsets(offsets: number[]): DecisionRule {
  const top = Math.max(...offsets);
  return { scale: offsets.map((d) => Math.exp(d - top)), shift: offsets.map(() => 0) };
}

/**
 * The expected-cost minimiser: predicting k for a document of class j ≠ k costs miss[j] + falseAlarm[k], so the
 * expected cost of k is (1 − p_k)·falseAlarm[k] − p_k·miss[k] + Σ_j p_j·miss[j]; the last term is the same for
 * every k. Two classes: predict k when p_k > falseAlarm / (falseAlarm + miss), each side's costs summed.
 */
export function ruleFromCosts(miss: number[], falseAlarm: number[]): DecisionRule {
  return { scale: miss.map((m, k) => m + falseAlarm[k]), shift: [...falseAlarm] };
}

/** Multi-label: predict k when p_k ≥ falseAlarm / (falseAlarm + miss) (domain.md). */
export function thresholdsFromCosts(miss: number[], falseAlarm: number[]): number[] {
  return miss.map((m, k) => (m + falseAlarm[k] > 0 ? falseAlarm[k] / (m + falseAlarm[k]) : 0.5));
}
