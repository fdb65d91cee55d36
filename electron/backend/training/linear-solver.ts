// The linear head fitted to convergence: a class-weighted, L2-regularised multinomial (single-label) or per-label
// binary (multi-label) logistic regression — or its focal variant — over the embedding plus the TF-IDF features,
// minimised with L-BFGS in float64. This is the floor domain.md sets ("a balanced, L2-regularised logistic
// regression fitted to convergence"); every strategy the agent measures is a fit of this kind.
//
// Objective (weights a_i = sampling count × class weight of the example):
//   J(W) = Σ_i a_i ℓ_i(W) / Σ_i a_i + (λ/2)(‖W_dense‖² + ‖W_lexical‖²),   λ = 1 / (C · Σ_i count_i)
// so C means what it means in scikit-learn's LogisticRegression (C Σ w_i ℓ_i + ½‖W‖²) whatever the weights' scale;
// the bias is not penalised. The losses are those of losses.ts (which trains the MLP head in tfjs), written here in
// float64 with their analytic gradients: the full-batch solver needs exact, backend-independent values, and
// test/linear-solver.test.ts checks both against each other.
import type { TaskKind } from '../../../shared/domain.js';
import type { FeatureSet, HeadArchitecture, HeadWeights } from './heads.js';
import { yieldToEventLoop } from '../event-loop.js';
import { minimizeLbfgs, type LbfgsResult } from './lbfgs.js';
import type { LossSpec } from './losses.js';
import { throwIfAborted } from '../cancel.js';

/** Smallest base of the focal factor (as losses.ts): keeps (1 - p)^γ and its gradient finite when p rounds to 1. */
const FOCAL_BASE_FLOOR = 1e-12;

export interface LinearProblem {
  task: TaskKind;
  features: FeatureSet;
  classes: number;
  /** Single-label: the class of each feature row. Multi-label: its classes. */
  truth: number[][];
  /** Feature rows taking part, with how many times each counts (oversampling draws a row several times). */
  rows: Int32Array;
  counts: Float64Array;
  loss: LossSpec;
  /** Inverse regularisation strength, as scikit-learn's C. */
  c: number;
}

export interface LinearFit {
  weights: HeadWeights;
  /** The flat parameter vector, to warm-start a neighbouring fit. */
  parameters: Float64Array;
  solver: Pick<LbfgsResult, 'iterations' | 'evaluations' | 'gradientMax' | 'converged' | 'stoppedBy' | 'value'>;
}

export interface SolverOptions {
  /** Evaluates the objective across threads (solver-threads.ts); this thread alone without it. */
  objective?: (problem: LinearProblem, arch: HeadArchitecture) => { size: number; evaluate: ObjectiveEvaluator };
  gradientTolerance?: number;
  maxIterations?: number;
  /** Starting point (a previous fit's parameters, same shapes). */
  start?: Float64Array;
  signal?: AbortSignal;
}

/**
 * Parameter vector layout over L logit columns: dense weights transposed (L × D, each column's row contiguous),
 * lexical V × L, bias L. A two-class single-label problem needs one column only: softmax([z0, z1]) depends on
 * z1 − z0 alone, and the penalised optimum of the two-column model is the symmetric split (z0, z1) = (−u/2, u/2)
 * of the one-column optimum u fitted with half the penalty. That halves the work and is exact.
 */
function layout(arch: HeadArchitecture, task: TaskKind) {
  const { denseDim: D, lexicalDim: V, classes: K } = arch;
  const binary = task === 'single_label' && K === 2;
  const L = binary ? 1 : K;
  return { D, V, K, L, binary, lexicalAt: L * D, biasAt: L * D + V * L, size: L * D + V * L + L };
}

export function linearArchitecture(features: FeatureSet, denseDim: number, classes: number): HeadArchitecture {
  return { kind: 'linear', denseDim, lexicalDim: features.lexical?.nCols ?? 0, classes, hidden: 0, dropout: 0 };
}

/**
 * One binary cell: the (focal) log-loss of a logit z whose target is positive (sign +1) or negative (sign −1),
 * times weight; writes ∂/∂z into out[at]. With p_t = σ(sign·z): −w (1 − p_t)^γ log p_t.
 */
function binaryCell(z: number, sign: number, weight: number, gamma: number, out: Float64Array, at: number): number {
  const s = sign * z;
  const logPt = s >= 0 ? -Math.log1p(Math.exp(-s)) : s - Math.log1p(Math.exp(s));
  const oneMinus = Math.max(-Math.expm1(logPt), FOCAL_BASE_FLOOR);
  if (gamma === 0) {
    out[at] = -weight * sign * oneMinus; // (σ(z) − t) · w
    return -weight * logPt;
  }
  const factor = Math.pow(oneMinus, gamma);
  // d/dz [−(1 − p_t)^γ log p_t] = sign · (1 − p_t)^γ · (γ p_t log p_t − (1 − p_t))
  out[at] = weight * sign * factor * (gamma * Math.exp(logPt) * logPt - oneMinus);
  return -weight * factor * logPt;
}

/**
 * Per-row loss ℓ and ∂ℓ/∂z for one row of logits z (length L), written into gradient. Single-label with K > 2:
 * (focal) softmax cross-entropy; two classes: the same on the one logit z1 − z0; multi-label: the mean over
 * classes of the (focal) binary cross-entropy, positives of class c weighing w_c.
 */
export function rowLossAndGradient(task: TaskKind, loss: LossSpec, z: Float64Array, classesOfRow: number[], gradient: Float64Array): number {
  const weights = loss.classWeights;
  const focal = loss.kind === 'focal' || loss.kind === 'focal_bce';
  const gamma = focal ? loss.gamma : 0;
  if (task === 'single_label') {
    const y = classesOfRow[0];
    const alpha = weights ? weights[y] : 1;
    if (z.length === 1) return binaryCell(z[0], y === 1 ? 1 : -1, alpha, gamma, gradient, 0);
    const K = z.length;
    let max = -Infinity;
    for (let c = 0; c < K; c++) if (z[c] > max) max = z[c];
    let sum = 0;
    for (let c = 0; c < K; c++) sum += Math.exp(z[c] - max);
    const logSum = max + Math.log(sum);
    const logP = z[y] - logSum;
    let scale = alpha; // ∂ℓ/∂z_j = scale · (p_j − δ_jy)
    let value = -logP * alpha;
    if (gamma !== 0) {
      const q = Math.exp(logP);
      const oneMinus = Math.max(-Math.expm1(logP), FOCAL_BASE_FLOOR);
      const factor = Math.pow(oneMinus, gamma);
      value = -alpha * factor * logP;
      // d/dz_j [−(1−q)^γ log q] = (p_j − δ_jy) · [(1−q)^γ − γ (1−q)^(γ−1) q log q]
      scale = alpha * (factor - gamma * Math.pow(oneMinus, gamma - 1) * q * logP);
    }
    for (let c = 0; c < K; c++) gradient[c] = scale * (Math.exp(z[c] - logSum) - (c === y ? 1 : 0));
    return value;
  }
  const K = z.length;
  let value = 0;
  for (let c = 0; c < K; c++) {
    const positive = classesOfRow.includes(c);
    value += binaryCell(z[c], positive ? 1 : -1, positive && weights ? weights[c] : 1, gamma, gradient, c);
  }
  for (let c = 0; c < K; c++) gradient[c] /= K;
  return value / K;
}

/** The example weight a_i's class part: the true class's weight (single-label), the mean of its cells' (multi-label). */
function classPartOfWeight(task: TaskKind, loss: LossSpec, classesOfRow: number[], K: number): number {
  const w = loss.classWeights;
  if (!w) return 1;
  if (task === 'single_label') return w[classesOfRow[0]];
  let sum = K - classesOfRow.length;
  for (const c of classesOfRow) sum += w[c];
  return sum / K;
}

/** What every part of the objective shares: the weight normaliser and the penalty strength (over all rows). */
export interface ObjectiveConstants {
  normaliser: number;
  lambda: number;
}

export function objectiveConstants(problem: LinearProblem, arch: HeadArchitecture): ObjectiveConstants {
  const { K, binary } = layout(arch, problem.task);
  const { rows, counts, loss, task } = problem;
  // Example weights: the class part is folded into the loss itself; the normaliser is Σ count × class part.
  let normaliser = 0;
  let totalCount = 0;
  for (let r = 0; r < rows.length; r++) {
    normaliser += counts[r] * classPartOfWeight(task, loss, problem.truth[rows[r]], K);
    totalCount += counts[r];
  }
  if (!(normaliser > 0)) throw new Error('linear head: no training example carries weight');
  // The one-column binary form carries the penalty of both symmetric columns: ‖u/2‖² + ‖−u/2‖² = ‖u‖²/2.
  return { normaliser, lambda: (binary ? 0.5 : 1) / (problem.c * totalCount) };
}

export function parameterCount(arch: HeadArchitecture, task: TaskKind): number {
  return layout(arch, task).size;
}

/**
 * The data part of J and ∇J over rows [from, to) of the problem: Σ a_i ℓ_i / normaliser, its gradient written into
 * grad (zeroed first). Threads evaluate disjoint ranges and the parts add up (solver-threads.ts).
 */
export function objectivePart(problem: LinearProblem, arch: HeadArchitecture, constants: ObjectiveConstants, from: number, to: number): (x: Float64Array, grad: Float64Array) => number {
  const { D, V, L, lexicalAt, biasAt } = layout(arch, problem.task);
  const { features, rows, counts, loss, task } = problem;
  const { normaliser } = constants;
  const dense = features.dense;
  const lexical = V > 0 ? features.lexical : undefined;
  // Local handles on the CSR arrays: V8 then keeps them in registers through the hot loops.
  const rowPtr = lexical?.rowPtr ?? new Int32Array(features.n + 1);
  const lexicalCols = lexical?.cols ?? new Int32Array(0);
  const lexicalValues = lexical?.values ?? new Float32Array(0);
  const z = new Float64Array(L);
  const g = new Float64Array(L);
  return (x, grad) => {
    grad.fill(0);
    let total = 0;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      const xOffset = row * D;
      denseLogits(z, dense, xOffset, x, D, L);
      for (let c = 0; c < L; c++) z[c] += x[biasAt + c];
      const p0 = rowPtr[row];
      const p1 = rowPtr[row + 1];
      for (let c0 = 0; c0 < L && p1 > p0; c0 += 4) addSparseLogits(z, c0, Math.min(4, L - c0), p0, p1, lexicalCols, lexicalValues, x, lexicalAt, L);
      total += counts[r] * rowLossAndGradient(task, loss, z, problem.truth[row], g);
      const scale = counts[r] / normaliser;
      for (let c = 0; c < L; c++) {
        g[c] *= scale;
        grad[biasAt + c] += g[c];
      }
      denseGradient(grad, g, dense, xOffset, D, L);
      for (let c0 = 0; c0 < L && p1 > p0; c0 += 4) scatterSparseGradient(grad, g, c0, Math.min(4, L - c0), p0, p1, lexicalCols, lexicalValues, lexicalAt, L);
    }
    return total / normaliser;
  };
}

/** Adds (λ/2)(‖W_dense‖² + ‖W_lexical‖²) to J and λW to ∇J; returns the penalty. */
export function addPenalty(x: Float64Array, grad: Float64Array, arch: HeadArchitecture, task: TaskKind, constants: ObjectiveConstants): number {
  const { biasAt } = layout(arch, task);
  let penalty = 0;
  for (let i = 0; i < biasAt; i++) {
    penalty += x[i] * x[i];
    grad[i] += constants.lambda * x[i];
  }
  return (constants.lambda / 2) * penalty;
}

export type ObjectiveEvaluator = (x: Float64Array, grad: Float64Array) => number;


/** J and ∇J over the whole problem in this thread. */
export function linearObjective(problem: LinearProblem, arch: HeadArchitecture): { size: number; evaluate: ObjectiveEvaluator } {
  const constants = objectiveConstants(problem, arch);
  const part = objectivePart(problem, arch, constants, 0, problem.rows.length);
  return {
    size: parameterCount(arch, problem.task),
    evaluate: (x, grad) => part(x, grad) + addPenalty(x, grad, arch, problem.task, constants),
  };
}

// The sparse loops take up to four logit columns at a time with one accumulator each: a short inner loop over the
// classes costs V8 twice the time of these straight-line bodies (measured on the SpamAssassin features).

/** z[c0 .. c0+width) += Σ_p values[p] · x[base(p) + c], base(p) = at + cols[p] · L. */
function addSparseLogits(z: Float64Array, c0: number, width: number, p0: number, p1: number, cols: Int32Array, values: Float32Array, x: Float64Array, at: number, L: number): void {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  const offset = at + c0;
  if (width === 4) {
    for (let p = p0; p < p1; p++) {
      const v = values[p];
      const b = offset + cols[p] * L;
      a0 += v * x[b];
      a1 += v * x[b + 1];
      a2 += v * x[b + 2];
      a3 += v * x[b + 3];
    }
  } else if (width === 3) {
    for (let p = p0; p < p1; p++) {
      const v = values[p];
      const b = offset + cols[p] * L;
      a0 += v * x[b];
      a1 += v * x[b + 1];
      a2 += v * x[b + 2];
    }
  } else if (width === 2) {
    for (let p = p0; p < p1; p++) {
      const v = values[p];
      const b = offset + cols[p] * L;
      a0 += v * x[b];
      a1 += v * x[b + 1];
    }
  } else {
    for (let p = p0; p < p1; p++) a0 += values[p] * x[offset + cols[p] * L];
  }
  z[c0] += a0;
  if (width > 1) z[c0 + 1] += a1;
  if (width > 2) z[c0 + 2] += a2;
  if (width > 3) z[c0 + 3] += a3;
}

/** grad[base(p) + c] += values[p] · g[c] for c in [c0, c0 + width). */
function scatterSparseGradient(grad: Float64Array, g: Float64Array, c0: number, width: number, p0: number, p1: number, cols: Int32Array, values: Float32Array, at: number, L: number): void {
  const g0 = g[c0];
  const g1 = width > 1 ? g[c0 + 1] : 0;
  const g2 = width > 2 ? g[c0 + 2] : 0;
  const g3 = width > 3 ? g[c0 + 3] : 0;
  const offset = at + c0;
  if (width === 4) {
    for (let p = p0; p < p1; p++) {
      const v = values[p];
      const b = offset + cols[p] * L;
      grad[b] += v * g0;
      grad[b + 1] += v * g1;
      grad[b + 2] += v * g2;
      grad[b + 3] += v * g3;
    }
  } else if (width === 3) {
    for (let p = p0; p < p1; p++) {
      const v = values[p];
      const b = offset + cols[p] * L;
      grad[b] += v * g0;
      grad[b + 1] += v * g1;
      grad[b + 2] += v * g2;
    }
  } else if (width === 2) {
    for (let p = p0; p < p1; p++) {
      const v = values[p];
      const b = offset + cols[p] * L;
      grad[b] += v * g0;
      grad[b + 1] += v * g1;
    }
  } else {
    for (let p = p0; p < p1; p++) grad[offset + cols[p] * L] += values[p] * g0;
  }
}

/**
 * z[c] = Σ_d row[d] · W[c][d] for every logit column, four columns per pass over the row (the row is read once per
 * four columns instead of once per column: 1.4× on 15 classes).
 */
function denseLogits(z: Float64Array, dense: Float32Array, at: number, w: Float64Array, D: number, L: number): void {
  let c = 0;
  for (; c + 4 <= L; c += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const b0 = c * D;
    const b1 = b0 + D;
    const b2 = b1 + D;
    const b3 = b2 + D;
    for (let d = 0; d < D; d++) {
      const v = dense[at + d];
      s0 += v * w[b0 + d];
      s1 += v * w[b1 + d];
      s2 += v * w[b2 + d];
      s3 += v * w[b3 + d];
    }
    z[c] = s0;
    z[c + 1] = s1;
    z[c + 2] = s2;
    z[c + 3] = s3;
  }
  for (; c < L; c++) z[c] = dotRow(dense, at, w, c * D, D);
}

/** grad[c][d] += g[c] · row[d] for every logit column, four columns per pass over the row. */
function denseGradient(grad: Float64Array, g: Float64Array, dense: Float32Array, at: number, D: number, L: number): void {
  let c = 0;
  for (; c + 4 <= L; c += 4) {
    const g0 = g[c];
    const g1 = g[c + 1];
    const g2 = g[c + 2];
    const g3 = g[c + 3];
    const b0 = c * D;
    const b1 = b0 + D;
    const b2 = b1 + D;
    const b3 = b2 + D;
    for (let d = 0; d < D; d++) {
      const v = dense[at + d];
      grad[b0 + d] += g0 * v;
      grad[b1 + d] += g1 * v;
      grad[b2 + d] += g2 * v;
      grad[b3 + d] += g3 * v;
    }
  }
  for (; c < L; c++) if (g[c] !== 0) addScaledRow(grad, c * D, g[c], dense, at, D);
}

/** Σ_d a[aAt + d] · b[bAt + d], four accumulators (V8 does not vectorise; this doubles the speed). */
function dotRow(a: Float32Array, aAt: number, b: Float64Array, bAt: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end = length - (length % 4);
  for (let d = 0; d < end; d += 4) {
    s0 += a[aAt + d] * b[bAt + d];
    s1 += a[aAt + d + 1] * b[bAt + d + 1];
    s2 += a[aAt + d + 2] * b[bAt + d + 2];
    s3 += a[aAt + d + 3] * b[bAt + d + 3];
  }
  for (let d = end; d < length; d++) s0 += a[aAt + d] * b[bAt + d];
  return s0 + s1 + s2 + s3;
}

/** out[outAt + d] += scale · a[aAt + d]. */
function addScaledRow(out: Float64Array, outAt: number, scale: number, a: Float32Array, aAt: number, length: number): void {
  const end = length - (length % 4);
  for (let d = 0; d < end; d += 4) {
    out[outAt + d] += scale * a[aAt + d];
    out[outAt + d + 1] += scale * a[aAt + d + 1];
    out[outAt + d + 2] += scale * a[aAt + d + 2];
    out[outAt + d + 3] += scale * a[aAt + d + 3];
  }
  for (let d = end; d < length; d++) out[outAt + d] += scale * a[aAt + d];
}

/** The flat parameters as the head's named weights (the layout heads.ts, the predictor and the export read). */
export function parametersToWeights(x: Float64Array, arch: HeadArchitecture, task: TaskKind): HeadWeights {
  const { D, V, K, L, binary, lexicalAt, biasAt } = layout(arch, task);
  // Column c of the head from logit column l: the binary form's one column is split symmetrically (−u/2, u/2).
  const from = (c: number): { l: number; factor: number } => (binary ? { l: 0, factor: c === 0 ? -0.5 : 0.5 } : { l: c, factor: 1 });
  const dense = new Float32Array(D * K);
  const lexical = new Float32Array(V * K);
  const bias = new Float32Array(K);
  for (let c = 0; c < K; c++) {
    const { l, factor } = from(c);
    for (let d = 0; d < D; d++) dense[d * K + c] = factor * x[l * D + d];
    for (let v = 0; v < V; v++) lexical[v * K + c] = factor * x[lexicalAt + v * L + l];
    bias[c] = factor * x[biasAt + l];
  }
  const weights: HeadWeights = { dense: { shape: [D, K], values: dense } };
  if (V > 0) weights.lexical = { shape: [V, K], values: lexical };
  weights.bias = { shape: [K], values: bias };
  return weights;
}

/** Logits (rows × K, the head's K columns) of some feature rows straight from a fit's parameter vector. */
export function linearLogits(x: Float64Array, arch: HeadArchitecture, task: TaskKind, features: FeatureSet, rows: ArrayLike<number>): Float64Array {
  const { D, K, L, binary, lexicalAt, biasAt } = layout(arch, task);
  const out = new Float64Array(rows.length * K);
  const z = new Float64Array(L);
  const lexical = features.lexical && arch.lexicalDim > 0 ? features.lexical : undefined;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let c = 0; c < L; c++) z[c] = x[biasAt + c] + dotRow(features.dense, row * D, x, c * D, D);
    if (lexical) {
      for (let p = lexical.rowPtr[row]; p < lexical.rowPtr[row + 1]; p++) {
        const base = lexicalAt + lexical.cols[p] * L;
        for (let c = 0; c < L; c++) z[c] += lexical.values[p] * x[base + c];
      }
    }
    if (binary) {
      out[r * 2] = -z[0] / 2;
      out[r * 2 + 1] = z[0] / 2;
    } else out.set(z, r * K);
  }
  return out;
}

/** Longest stretch the solver runs without yielding to the event loop. */
const YIELD_EVERY_MS = 50;

export async function fitLinearHead(problem: LinearProblem, arch: HeadArchitecture, options: SolverOptions = {}): Promise<LinearFit> {
  const objective = (options.objective ?? linearObjective)(problem, arch);
  const start = options.start && options.start.length === objective.size ? options.start : new Float64Array(objective.size);
  let lastYield = Date.now();
  const result = await minimizeLbfgs(objective.evaluate, start, {
    gradientTolerance: options.gradientTolerance ?? 1e-5,
    maxIterations: options.maxIterations ?? 400,
    onIteration: async () => {
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
      return !options.signal?.aborted;
    },
  });
  throwIfAborted(options.signal);
  const { iterations, evaluations, gradientMax, converged, stoppedBy, value } = result;
  return { weights: parametersToWeights(result.x, arch, problem.task), parameters: result.x, solver: { iterations, evaluations, gradientMax, converged, stoppedBy, value } };
}
