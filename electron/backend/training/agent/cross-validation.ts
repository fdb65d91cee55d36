// Repeated stratified k-fold cross-validation of linear-head candidates on the training split's features: every
// real training document gets one out-of-fold logit row per repeat. Synthetic examples never hold out, and train in
// a fold only when every document they were made from is on that fold's training side (the leakage guard, per fold).
import type { TaskKind } from '../../../../shared/domain.js';
import { stratifiedKFold } from '../../../../shared/split.js';
import type { FeatureSet, HeadArchitecture } from '../heads.js';
import { fitLinearHead, linearLogits, type SolverOptions } from '../linear-solver.js';
import { samplingCounts, samplingGroups } from '../sampling.js';
import { lossFor, type CandidateSpec } from './candidates.js';

export interface CvData {
  task: TaskKind;
  classes: number;
  /** The head over the embedding and the word features (archFor drops the words). */
  arch: HeadArchitecture;
  features: FeatureSet;
  /** Classes of every feature row. */
  truth: number[][];
  /** Real training documents (feature rows): what the folds partition. */
  real: number[];
  /** Synthetic training rows and the feature rows they were made from. */
  synthetic: Array<{ row: number; parents: number[] }>;
  /** Near-duplicate key of every feature row: a key never straddles folds. */
  groups: string[];
}

export interface FoldPlan {
  repeat: number;
  fold: number;
  /** Positions in CvData.real held out (predicted) in this fold. */
  heldOut: number[];
  /** Feature rows trained on: the other folds' real documents. */
  fitReal: number[];
  /** Synthetic rows allowed in this fold's training. */
  fitSynthetic: number[];
}

/** The folds of each repeat (repeat r uses seed + r for the assignment). */
export function planFolds(data: CvData, folds: number, repeats: number, seed: number): FoldPlan[][] {
  const labels = data.real.map((row) => data.truth[row]);
  const groups = data.real.map((row) => data.groups[row]);
  const plans: FoldPlan[][] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const parts = stratifiedKFold({ labels, groups, folds, seed: seed + 7919 * repeat, multiLabel: data.task === 'multi_label' });
    plans.push(
      parts.map((heldOut, fold) => {
        const held = new Set(heldOut.map((position) => data.real[position]));
        const fitReal = data.real.filter((row) => !held.has(row));
        const fitSet = new Set(fitReal);
        const fitSynthetic = data.synthetic.filter((s) => s.parents.every((p) => fitSet.has(p))).map((s) => s.row);
        return { repeat, fold, heldOut, fitReal, fitSynthetic };
      }),
    );
  }
  return plans;
}

/** Class counts over some feature rows. */
export function classCountsOf(data: Pick<CvData, 'truth' | 'classes'>, rows: number[], counts?: Float64Array): number[] {
  const out = new Array<number>(data.classes).fill(0);
  rows.forEach((row, r) => {
    for (const c of data.truth[row]) out[c] += counts ? counts[r] : 1;
  });
  return out;
}

/** The rows and counts a candidate trains on, from a set of available rows (its sampling applied). */
export function trainingSetOf(data: CvData, spec: CandidateSpec, realRows: number[], syntheticRows: number[], seed: number): { rows: Int32Array; counts: Float64Array; classCounts: number[] } {
  const rows = spec.synthetic ? [...realRows, ...syntheticRows] : realRows;
  const rowClasses = rows.map((row) => data.truth[row]);
  const available = classCountsOf(data, rows);
  const counts = samplingCounts(spec.sampling, samplingGroups(rowClasses, available), seed);
  // Rows drawn zero times (undersampling) are left out of the fit altogether.
  const kept = rows.map((_, r) => r).filter((r) => counts[r] > 0);
  const keptRows = Int32Array.from(kept, (r) => rows[r]);
  const keptCounts = Float64Array.from(kept, (r) => counts[r]);
  return { rows: keptRows, counts: keptCounts, classCounts: classCountsOf(data, Array.from(keptRows), keptCounts) };
}

export interface FitRequest {
  spec: CandidateSpec;
  c: number;
  seed: number;
  /** Use the word (TF-IDF) features beside the embedding. */
  words: boolean;
}

/** The head of a feature choice: the word features' weights are absent when they are not used. */
export function archFor(data: Pick<CvData, 'arch'>, words: boolean): HeadArchitecture {
  return words ? data.arch : { ...data.arch, lexicalDim: 0 };
}

/** Starting points by fold (`words:repeat:fold`): the last fit of that fold and feature choice (warm starts). */
export type WarmStarts = Map<string, Float64Array>;

export interface OutOfFold {
  /** One row of K logits per real training document (CvData.real order), per repeat. */
  logits: Float64Array[];
  fits: number;
  iterations: number;
  seconds: number;
}

/** What the fits of a search share: warm starts, the objective (across threads), cancel and progress. */
export interface FitContext {
  warm: WarmStarts;
  objective?: SolverOptions['objective'];
  signal?: AbortSignal;
  onFit?: () => void;
}

/** Fits the candidate on every fold of the given repeats and collects the held-out logits. */
export async function outOfFoldLogits(data: CvData, plans: FoldPlan[][], request: FitRequest, context: FitContext): Promise<OutOfFold> {
  const { warm, signal, onFit, objective } = context;
  const arch = archFor(data, request.words);
  const started = Date.now();
  const K = data.classes;
  let iterations = 0;
  let fits = 0;
  const logits: Float64Array[] = [];
  for (const repeatPlans of plans) {
    const out = new Float64Array(data.real.length * K);
    for (const plan of repeatPlans) {
      const key = `${request.words}:${plan.repeat}:${plan.fold}`;
      const set = trainingSetOf(data, request.spec, plan.fitReal, plan.fitSynthetic, request.seed + 104729 * plan.repeat + plan.fold);
      const fit = await fitLinearHead(
        { task: data.task, features: data.features, classes: K, truth: data.truth, rows: set.rows, counts: set.counts, loss: lossFor(data.task, request.spec, set.classCounts), c: request.c },
        arch,
        { start: warm.get(key), signal, objective },
      );
      warm.set(key, fit.parameters);
      iterations += fit.solver.iterations;
      fits++;
      const heldRows = plan.heldOut.map((position) => data.real[position]);
      const heldLogits = linearLogits(fit.parameters, arch, data.task, data.features, heldRows);
      plan.heldOut.forEach((position, j) => out.set(heldLogits.subarray(j * K, (j + 1) * K), position * K));
      onFit?.();
    }
    logits.push(out);
  }
  return { logits, fits, iterations, seconds: (Date.now() - started) / 1000 };
}
