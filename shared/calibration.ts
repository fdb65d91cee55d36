// Probability helpers, calibration error, temperature scaling and per-class thresholds.
import type { CalibrationBin } from './domain.js';
import { f1FromCounts } from './metrics.js';

/** log(sum(exp(row))) without overflow. */
function logSumExp(row: number[]): number {
  const max = Math.max(...row);
  if (!Number.isFinite(max)) return max;
  let s = 0;
  for (const x of row) s += Math.exp(x - max);
  return max + Math.log(s);
}

export function logSoftmax(row: number[]): number[] {
  const lse = logSumExp(row);
  return row.map((x) => x - lse);
}

export function softmax(row: number[]): number[] {
  return logSoftmax(row).map(Math.exp);
}

export function sigmoid(x: number): number {
  // Two branches so exp never overflows.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(sigmoid(x)) = -softplus(-x), stable for large |x|. */
export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/**
 * Expected calibration error over equal-width bins of the top-class confidence (Guo et al. 2017):
 * ECE = sum over bins of (n_b / N) * |accuracy_b - confidence_b|. Bin b covers (b/B, (b+1)/B]; a confidence of
 * exactly 0 falls into the first bin. Every bin is returned, empty ones with count 0 (confidence and accuracy 0).
 */
export function expectedCalibrationError(confidence: number[], correct: boolean[], bins = 15): { ece: number; bins: CalibrationBin[] } {
  if (confidence.length !== correct.length) {
    throw new Error(`calibration: ${confidence.length} confidences but ${correct.length} correctness flags`);
  }
  const count = new Array<number>(bins).fill(0);
  const confSum = new Array<number>(bins).fill(0);
  const correctSum = new Array<number>(bins).fill(0);
  confidence.forEach((c, i) => {
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    count[b]++;
    confSum[b] += c;
    if (correct[i]) correctSum[b]++;
  });
  const n = confidence.length;
  let ece = 0;
  const out: CalibrationBin[] = count.map((nb, b) => {
    const conf = nb ? confSum[b] / nb : 0;
    const acc = nb ? correctSum[b] / nb : 0;
    ece += n ? (nb / n) * Math.abs(acc - conf) : 0;
    return { lower: b / bins, upper: (b + 1) / bins, count: nb, confidence: conf, accuracy: acc };
  });
  return { ece, bins: out };
}

export interface TemperatureOptions {
  /** Search range for T (default 0.01 .. 100). */
  minT?: number;
  maxT?: number;
  /** Golden-section steps on log T (default 60: the bracket shrinks by 0.618^60, far below any useful digit). */
  iterations?: number;
}

/**
 * Golden-section search for the minimum of f over log T. The NLL is convex in 1/T, hence unimodal in log T,
 * so the search cannot be trapped; it needs no gradient and stays robust when the logits are huge.
 */
function minimiseOverLogT(f: (t: number) => number, { minT = 0.01, maxT = 100, iterations = 60 }: TemperatureOptions): number {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(minT);
  let b = Math.log(maxT);
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = f(Math.exp(c));
  let fd = f(Math.exp(d));
  for (let i = 0; i < iterations; i++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(Math.exp(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(Math.exp(d));
    }
  }
  return Math.exp((a + b) / 2);
}

/** Mean negative log-likelihood of softmax(logits / T) for the true classes. */
export function softmaxNll(logits: number[][], yTrue: number[], temperature: number): number {
  let total = 0;
  logits.forEach((row, i) => {
    const scaled = row.map((z) => z / temperature);
    total -= scaled[yTrue[i]] - logSumExp(scaled);
  });
  return logits.length ? total / logits.length : 0;
}

/** Mean binary cross-entropy of sigmoid(logits / T) over every (row, class) cell. */
export function sigmoidNll(logits: number[][], yTrue01: number[][], temperature: number): number {
  let total = 0;
  let cells = 0;
  logits.forEach((row, i) => {
    row.forEach((z, c) => {
      const s = z / temperature;
      total -= yTrue01[i][c] ? logSigmoid(s) : logSigmoid(-s);
      cells++;
    });
  });
  return cells ? total / cells : 0;
}

/** Temperature scaling for single-label models: the T > 0 minimising validation NLL (1 with no data). */
export function fitTemperature(logits: number[][], yTrue: number[], opts: TemperatureOptions = {}): number {
  if (logits.length === 0) return 1;
  return minimiseOverLogT((t) => softmaxNll(logits, yTrue, t), opts);
}

/** Temperature scaling for multi-label models: one T shared by every class's sigmoid. */
export function fitTemperatureMultiLabel(logits: number[][], yTrue01: number[][], opts: TemperatureOptions = {}): number {
  if (logits.length === 0) return 1;
  return minimiseOverLogT((t) => sigmoidNll(logits, yTrue01, t), opts);
}

/** Multi-label decision threshold where none was tuned (domain.md). */
export const DEFAULT_THRESHOLD = 0.5;

/** Thresholds tried by default: 0.01, 0.02, ..., 0.99. */
export const DEFAULT_THRESHOLD_GRID: number[] = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

/**
 * Per-class decision thresholds for multi-label prediction: for each class, the grid value maximising that class's
 * F1 on validation (predict positive when p >= threshold). Ties go to the value nearest 0.5; a class with no positive
 * validation example keeps 0.5, as there is nothing to tune on.
 */
export function tuneThresholds(probs: number[][], yTrue01: number[][], grid: number[] = DEFAULT_THRESHOLD_GRID): number[] {
  const numClasses = probs[0]?.length ?? 0;
  const descendingGrid = [...grid].sort((a, b) => b - a);
  const thresholds: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    // Rows by descending probability: lowering the threshold only ever adds rows, so one sweep counts every grid value.
    const order = probs.map((_row, i) => i).sort((a, b) => probs[b][c] - probs[a][c]);
    const positives = order.reduce((n, i) => n + (yTrue01[i][c] ? 1 : 0), 0);
    let best = DEFAULT_THRESHOLD;
    let bestF1 = -1;
    let tp = 0;
    let fp = 0;
    let next = 0;
    for (const t of positives > 0 ? descendingGrid : []) {
      for (; next < order.length && probs[order[next]][c] >= t; next++) {
        if (yTrue01[order[next]][c]) tp++;
        else fp++;
      }
      const f1 = f1FromCounts(tp, fp, positives - tp);
      if (f1 > bestF1 || (f1 === bestF1 && Math.abs(t - DEFAULT_THRESHOLD) < Math.abs(best - DEFAULT_THRESHOLD))) {
        bestF1 = f1;
        best = t;
      }
    }
    thresholds.push(best);
  }
  return thresholds;
}
