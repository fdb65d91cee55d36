// Turns the user's settings (strategy may be 'auto') into what training does: the loss, its class weights, the
// sampler, and the ResolvedStrategy recorded in metrics.json.
import type { Recommendation, ResolvedStrategy, StrategyName, TaskKind, TrainSettings } from '../../../shared/domain.js';
import { classWeights, recommendStrategy } from '../../../shared/imbalance.js';
import type { LossSpec } from './losses.js';
import type { SamplingMode } from './sampling.js';

export interface StrategyInput {
  task: TaskKind;
  labels: string[];
  settings: TrainSettings;
  /** Examples per class over every labeled example (what the imbalance review shows): 'auto' decides on these. */
  labeledCounts: number[];
  /** Labeled documents behind labeledCounts; defaults to their sum (exact for single-label, too many for multi-label). */
  labeledDocuments?: number;
  /** Examples per class in the training split: the class weights are computed on these. */
  trainCounts: number[];
  backend: string;
  encoder: string;
}

export interface StrategyPlan {
  resolved: ResolvedStrategy;
  loss: LossSpec;
  sampling: SamplingMode;
}

const SAMPLING: Record<StrategyName, SamplingMode> = {
  none: 'none',
  weighted: 'none',
  focal: 'none',
  oversample: 'oversample',
  undersample: 'undersample',
  'focal+oversample': 'oversample',
  'synthetic+oversample': 'oversample',
};

function followAuto(input: StrategyInput): { name: StrategyName; recommendation: Recommendation } {
  const counts = Object.fromEntries(input.labels.map((label, c) => [label, input.labeledCounts[c]]));
  const documents = input.labeledDocuments ?? input.labeledCounts.reduce((a, b) => a + b, 0);
  const recommendation = recommendStrategy({ task: input.task, counts, documents }) ?? {
    strategy: 'none',
    basis: [`${input.labels.filter((_, c) => input.labeledCounts[c] > 0).length} class(es) with examples`],
    reason: 'With fewer than two classes there is no imbalance to correct.',
  };
  return { name: recommendation.strategy, recommendation };
}

export function resolveStrategy(input: StrategyInput): StrategyPlan {
  const { settings, task } = input;
  const multiLabel = task === 'multi_label';
  let name: StrategyName;
  let weights = settings.weights;
  let gamma = settings.gamma;
  let auto: Recommendation | undefined;
  if (settings.strategy === 'auto') {
    const followed = followAuto(input);
    name = followed.name;
    auto = followed.recommendation;
    weights = auto.weights ?? weights;
    gamma = auto.gamma ?? gamma;
  } else {
    name = settings.strategy;
  }
  // Weighted CE weighs by class; focal weighs by class too (alpha) unless oversampling already rebalances, as the
  // recommendation table says ('focal+oversample' has no weights).
  const useWeights = name === 'weighted' || name === 'focal';
  const useFocal = name === 'focal' || name === 'focal+oversample';
  const perClass = useWeights ? classWeights(input.trainCounts, weights) : undefined;
  const lossKind: LossSpec['kind'] = multiLabel ? (useFocal ? 'focal_bce' : 'bce') : useFocal ? 'focal' : 'cross_entropy';
  const resolvedLoss: ResolvedStrategy['loss'] = lossKind === 'cross_entropy' && perClass ? 'weighted_cross_entropy' : lossKind;
  const resolved: ResolvedStrategy = {
    name,
    loss: resolvedLoss,
    sampling: SAMPLING[name],
    head: settings.head,
    epochs: settings.epochs,
    seed: settings.seed,
    backend: input.backend,
    encoder: input.encoder,
  };
  if (perClass) {
    resolved.weights = weights;
    resolved.classWeights = Object.fromEntries(input.labels.map((label, c) => [label, perClass[c]]));
  }
  if (useFocal) resolved.gamma = gamma;
  if (auto) resolved.auto = auto;
  return {
    resolved,
    loss: { kind: lossKind, gamma: useFocal ? gamma : 0, classWeights: perClass },
    sampling: SAMPLING[name],
  };
}
