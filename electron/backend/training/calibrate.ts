// Calibration of held-out logits: probabilities = softmax(z / T + β) (single-label) or σ(z_c / T + β_c) per class
// (multi-label), with T and β minimising the plain (unweighted) negative log-likelihood of held-out predictions.
// T is temperature scaling (Guo et al. 2017); β corrects the class priors that weighting, focal loss or sampling
// shifted on purpose, so the probabilities shown, the costs and the review budget read true frequencies again.
import type { TaskKind } from '../../../shared/domain.js';
import { ruleFromOffsets, type DecisionRule } from '../../../shared/decision.js';
import { minimizeLbfgs } from './lbfgs.js';

export interface Calibration {
  temperature: number;
  /** Added to the logits after the temperature, one per class. */
  bias: number[];
}

export const IDENTITY_CALIBRATION = (classes: number): Calibration => ({ temperature: 1, bias: new Array<number>(classes).fill(0) });

/** Keeps β finite for a class absent from the held-out rows (its likelihood would push β to −∞). */
const BIAS_RIDGE = 1e-3;
const MIN_TEMPERATURE = 0.01;
const MAX_TEMPERATURE = 100;

/** Calibrated logits of one row: z / T + β. */
export function calibrateRow(logits: ArrayLike<number>, calibration: Calibration): number[] {
  return Array.from(logits, (z, c) => z / calibration.temperature + calibration.bias[c]);
}

/**
 * Fits T and β on held-out logits (rows × K) and their truth. Parameters are a = 1/T and β, in which the NLL is
 * convex; T is kept within [0.01, 100].
 */
export async function fitCalibration(task: TaskKind, logits: ArrayLike<number>[], truth: number[][], classes: number): Promise<Calibration> {
  const n = logits.length;
  if (n === 0) return IDENTITY_CALIBRATION(classes);
  const K = classes;
  const positive = truth.map((t) => {
    const row = new Uint8Array(K);
    for (const c of t) row[c] = 1;
    return row;
  });
  const p = new Float64Array(K);
  const objective = (x: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    const a = x[0];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const z = logits[i];
      if (task === 'single_label') {
        let max = -Infinity;
        for (let c = 0; c < K; c++) {
          p[c] = a * z[c] + x[1 + c];
          if (p[c] > max) max = p[c];
        }
        let sum = 0;
        for (let c = 0; c < K; c++) sum += Math.exp(p[c] - max);
        const logSum = max + Math.log(sum);
        const y = truth[i][0];
        total -= p[y] - logSum;
        for (let c = 0; c < K; c++) {
          const d = Math.exp(p[c] - logSum) - (c === y ? 1 : 0);
          grad[0] += d * z[c];
          grad[1 + c] += d;
        }
      } else {
        for (let c = 0; c < K; c++) {
          const s = a * z[c] + x[1 + c];
          const sign = positive[i][c] ? 1 : -1;
          const m = sign * s;
          total -= m >= 0 ? -Math.log1p(Math.exp(-m)) : m - Math.log1p(Math.exp(m));
          const sigma = s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
          const d = sigma - positive[i][c];
          grad[0] += d * z[c];
          grad[1 + c] += d;
        }
      }
    }
    for (let j = 0; j < grad.length; j++) grad[j] /= n;
    let ridge = 0;
    for (let c = 0; c < K; c++) {
      ridge += x[1 + c] * x[1 + c];
      grad[1 + c] += BIAS_RIDGE * x[1 + c];
    }
    return total / n + (BIAS_RIDGE / 2) * ridge;
  };
  const start = new Float64Array(K + 1);
  start[0] = 1;
  const result = await minimizeLbfgs(objective, start, { gradientTolerance: 1e-7, maxIterations: 200 });
  const a = result.x[0];
  const temperature = a > 0 ? Math.min(MAX_TEMPERATURE, Math.max(MIN_TEMPERATURE, 1 / a)) : 1;
  let bias = Array.from(result.x.subarray(1));
  if (task === 'single_label') {
    // Softmax ignores a common shift: report β centred.
    const mean = bias.reduce((s, b) => s + b, 0) / K;
    bias = bias.map((b) => b - mean);
  }
  return { temperature, bias };
}

/** How a fitted model decides: a rule over calibrated probabilities (single-label), or thresholds (multi-label). */
export interface ModelDecision {
  mode: 'argmax' | 'tuned' | 'costs';
  rule?: DecisionRule;
  thresholds?: number[];
}

/**
 * A decision found on raw logits (offsets δ, or thresholds t on σ(z); none: argmax, or 0.5), restated on the
 * calibrated probabilities the model stores, the predictor applies and the export writes. Single-label:
 * argmax(z + δ) = argmax(z/T + β + (δ/T − β)), i.e. offsets δ/T − β on the calibrated log-probabilities.
 * Multi-label: σ(z) ≥ t ⇔ σ(z/T + β) ≥ σ(logit(t)/T + β).
 */
export function modelDecision(task: TaskKind, mode: 'argmax' | 'tuned', raw: number[] | null, calibration: Calibration): ModelDecision {
  const { temperature: T, bias } = calibration;
  if (task === 'single_label') return { mode, rule: ruleFromOffsets(bias.map((b, c) => (raw ? raw[c] : 0) / T - b)) };
  return { mode, thresholds: thresholdsOnCalibrated(raw, calibration) };
}

function thresholdsOnCalibrated(raw: number[] | null, calibration: Calibration): number[] {
  const { temperature: T, bias } = calibration;
  return bias.map((b, c) => {
    const t = raw ? Math.min(1 - 1e-12, Math.max(1e-12, raw[c])) : 0.5;
    const s = Math.log(t / (1 - t)) / T + b;
    return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
  });
}
