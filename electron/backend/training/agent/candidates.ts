// The strategies the search measures, and what each means for a full-batch fit: a loss (plain, class-weighted,
// focal) and how often each training document counts (sampling). The user's explicit choice maps to one of them.
import type { SamplingKind, StrategyName, TaskKind, WeightScheme } from '../../../../shared/domain.js';
import { classWeights } from '../../../../shared/imbalance.js';
import type { LossSpec } from '../losses.js';

export interface CandidateSpec {
  strategy: StrategyName;
  /** Class weights in the loss (none: unweighted). */
  weights?: WeightScheme;
  /** Focal loss exponent (none: cross-entropy). */
  gamma?: number;
  sampling: SamplingKind;
  /** Accepted synthetic examples train too. */
  synthetic: boolean;
  /** Order of simplicity: the search prefers the simplest candidate within noise of the best. */
  complexity: number;
}

const WEIGHT_WORDS: Record<WeightScheme, string> = { inverse: 'balanced', sqrt_inverse: 'square-root', effective: 'effective-number' };

export function candidateName(spec: CandidateSpec, decision?: 'argmax' | 'tuned'): string {
  const parts: string[] = [];
  if (spec.gamma !== undefined) parts.push(`focal loss γ=${spec.gamma}`);
  if (spec.weights) parts.push(`${WEIGHT_WORDS[spec.weights]} class weights`);
  if (spec.sampling === 'oversample') parts.push('repeat rare documents');
  if (spec.sampling === 'undersample') parts.push('drop common documents');
  if (spec.sampling === 'oversample+undersample') parts.push('repeat rare and drop common documents');
  if (spec.synthetic) parts.push('with synthetic examples');
  const base = parts.length ? parts.join(' + ') : 'plain (no correction)';
  return decision === 'tuned' ? `${base} + tuned thresholds` : base;
}

/** What training does for an explicit strategy choice (synthetic examples the user accepted train in every one). */
export function specForStrategy(strategy: StrategyName, weights: WeightScheme, gamma: number, hasSynthetic: boolean): CandidateSpec {
  const synthetic = hasSynthetic;
  switch (strategy) {
    case 'none':
      return { strategy, sampling: 'none', synthetic, complexity: 0 };
    case 'weighted':
      return { strategy, weights, sampling: 'none', synthetic, complexity: 1 };
    case 'focal':
      return { strategy, weights, gamma, sampling: 'none', synthetic, complexity: 3 };
    case 'oversample':
      return { strategy, sampling: 'oversample', synthetic, complexity: 2 };
    case 'undersample':
      return { strategy, sampling: 'undersample', synthetic, complexity: 2 };
    case 'oversample+undersample':
      return { strategy, sampling: 'oversample+undersample', synthetic, complexity: 3 };
    case 'focal+oversample':
      return { strategy, gamma, sampling: 'oversample', synthetic, complexity: 4 };
    case 'synthetic+oversample':
      return { strategy, sampling: 'oversample', synthetic: true, complexity: 5 };
  }
}

/**
 * Every candidate of the search (the list): plain; class weights in each scheme; focal γ 1 and 2 (with
 * balanced weights); over- and undersampling and both; focal with oversampling; accepted synthetic examples when
 * there are any. The search scores each with and without tuned thresholds.
 */
export function searchCandidates(hasSynthetic: boolean): CandidateSpec[] {
  const list: CandidateSpec[] = [
    { strategy: 'none', sampling: 'none', synthetic: false, complexity: 0 },
    { strategy: 'weighted', weights: 'inverse', sampling: 'none', synthetic: false, complexity: 1 },
    { strategy: 'weighted', weights: 'sqrt_inverse', sampling: 'none', synthetic: false, complexity: 1 },
    { strategy: 'weighted', weights: 'effective', sampling: 'none', synthetic: false, complexity: 1 },
    { strategy: 'oversample', sampling: 'oversample', synthetic: false, complexity: 2 },
    { strategy: 'undersample', sampling: 'undersample', synthetic: false, complexity: 2 },
    { strategy: 'oversample+undersample', sampling: 'oversample+undersample', synthetic: false, complexity: 3 },
    { strategy: 'focal', weights: 'inverse', gamma: 1, sampling: 'none', synthetic: false, complexity: 3 },
    { strategy: 'focal', weights: 'inverse', gamma: 2, sampling: 'none', synthetic: false, complexity: 3 },
    { strategy: 'focal+oversample', gamma: 2, sampling: 'oversample', synthetic: false, complexity: 4 },
  ];
  if (hasSynthetic) list.push({ strategy: 'synthetic+oversample', sampling: 'oversample', synthetic: true, complexity: 5 });
  return list;
}

/** The loss of a candidate for a training set with these class counts. */
export function lossFor(task: TaskKind, spec: CandidateSpec, trainCounts: number[]): LossSpec {
  const focal = spec.gamma !== undefined;
  const kind: LossSpec['kind'] = task === 'multi_label' ? (focal ? 'focal_bce' : 'bce') : focal ? 'focal' : 'cross_entropy';
  return { kind, gamma: spec.gamma ?? 0, classWeights: spec.weights ? classWeights(trainCounts, spec.weights) : undefined };
}
