// The strategy's record in metrics.json (ResolvedStrategy), and the rule table's suggestion for a training split:
// the instant first guess the Balance step shows, and the prior the strategy search tries first.
import type { Recommendation, ResolvedStrategy, TaskKind, TrainSettings } from '../../../shared/domain.js';
import { recommendStrategy } from '../../../shared/imbalance.js';
import type { CandidateSpec } from './agent/candidates.js';
import type { Calibration, ModelDecision } from './calibrate.js';
import type { LossSpec } from './losses.js';

/** The rule table (domain.md) on the training and validation documents' class counts — never the test split's. */
export function ruleTablePrior(task: TaskKind, labels: string[], counts: number[], documents: number): Recommendation {
  const byLabel = Object.fromEntries(labels.map((label, c) => [label, counts[c]]));
  return (
    recommendStrategy({ task, counts: byLabel, documents }) ?? {
      strategy: 'none',
      basis: [`${labels.filter((_, c) => counts[c] > 0).length} class(es) with examples`],
      reason: 'With fewer than two classes there is no imbalance to correct.',
    }
  );
}

export interface ResolvedInput {
  labels: string[];
  settings: TrainSettings;
  spec: CandidateSpec;
  loss: LossSpec;
  c: number | null;
  calibration: Calibration;
  decision: ModelDecision;
  prior: Recommendation | null;
  backend: string;
  encoder: string;
}

const byLabel = (labels: string[], values: number[]) => Object.fromEntries(labels.map((label, c) => [label, values[c]]));

export function resolvedStrategy(input: ResolvedInput): ResolvedStrategy {
  const { labels, settings, spec, loss } = input;
  const lossName: ResolvedStrategy['loss'] = loss.kind === 'cross_entropy' && loss.classWeights ? 'weighted_cross_entropy' : loss.kind;
  const resolved: ResolvedStrategy = {
    name: spec.strategy,
    loss: lossName,
    sampling: spec.sampling,
    head: settings.head,
    epochs: settings.epochs,
    seed: settings.seed,
    backend: input.backend,
    encoder: input.encoder,
    temperature: input.calibration.temperature,
    calibrationBias: byLabel(labels, input.calibration.bias),
    decision: input.decision.rule
      ? { mode: input.decision.mode, scale: byLabel(labels, input.decision.rule.scale), shift: byLabel(labels, input.decision.rule.shift) }
      : { mode: input.decision.mode },
  };
  if (loss.classWeights) {
    resolved.weights = spec.weights;
    resolved.classWeights = byLabel(labels, loss.classWeights);
  }
  if (spec.gamma !== undefined) resolved.gamma = spec.gamma;
  if (input.c !== null) resolved.regularization = input.c;
  if (settings.strategy === 'auto' && input.prior) resolved.auto = input.prior;
  return resolved;
}
