// What the user says a decision is worth (domain.md, "Cost-based thresholds"): per-class costs of a miss and of a
// false alarm turn into the expected-cost decision rule on calibrated probabilities; a review budget sends the
// least certain documents to a person, with the automatic part's quality measured on held-out predictions.
import { ruleFromCosts, thresholdsFromCosts } from '../../../shared/decision.js';
import type { DecisionCosts, PredictionRow, ReviewSplit, TaskKind } from '../../../shared/domain.js';
import { f1FromCounts } from '../../../shared/metrics.js';
import type { ModelDecision } from './calibrate.js';

/** Per-class cost vectors in label order; a class the user did not price costs 1 either way. */
export function costVectors(labels: string[], costs: DecisionCosts): { miss: number[]; falseAlarm: number[] } {
  for (const part of ['miss', 'falseAlarm'] as const) {
    for (const [label, value] of Object.entries(costs[part] ?? {})) {
      if (!labels.includes(label)) throw new Error(`costs: '${label}' in ${part} is not one of the labels (${labels.join(', ')})`);
      if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) throw new Error(`costs: ${part} of '${label}' must be a number ≥ 0, got ${JSON.stringify(value)}`);
    }
  }
  const miss = labels.map((label) => costs.miss?.[label] ?? 1);
  const falseAlarm = labels.map((label) => costs.falseAlarm?.[label] ?? 1);
  if (miss.every((m, k) => m + falseAlarm[k] === 0)) throw new Error('costs: every cost is 0, so every decision would be as good as any other');
  return { miss, falseAlarm };
}

/** The expected-cost decisions for these costs (replacing the tuned or argmax rule). */
export function costDecision(task: TaskKind, labels: string[], costs: DecisionCosts): ModelDecision {
  const { miss, falseAlarm } = costVectors(labels, costs);
  return task === 'single_label' ? { mode: 'costs', rule: ruleFromCosts(miss, falseAlarm) } : { mode: 'costs', thresholds: thresholdsFromCosts(miss, falseAlarm) };
}

/** How sure a prediction is: the top probability (single-label), the least sure label decision (multi-label). */
export function confidenceOf(task: TaskKind, probabilities: number[]): number {
  if (task === 'single_label') return Math.max(...probabilities);
  return Math.min(...probabilities.map((p) => Math.max(p, 1 - p)));
}

/**
 * The confidence below which documents go to a person: the budget's quantile of the held-out confidences (the
 * least certain `budget` share of documents like the training ones).
 */
export function reviewCutoff(task: TaskKind, heldOutProbabilities: number[][], budget: number): number {
  if (!(budget >= 0 && budget <= 1)) throw new Error(`review budget must be a share from 0 to 1, got ${budget}`);
  if (budget === 0 || heldOutProbabilities.length === 0) return 0;
  const confidences = heldOutProbabilities.map((p) => confidenceOf(task, p)).sort((a, b) => a - b);
  const index = Math.min(confidences.length - 1, Math.floor(budget * confidences.length));
  return budget >= 1 ? Infinity : confidences[index];
}

/**
 * Marks the rows that go to a person (confidence below the cutoff) and measures the automatic part against the
 * rows' true labels: its share, macro-F1, and each class's precision and recall.
 */
export function reviewSplit(task: TaskKind, labels: string[], rows: PredictionRow[], cutoff: number): ReviewSplit {
  const automatic = rows.filter((row) => {
    const needsReview = confidenceOf(task, labels.map((l) => row.probabilities[l])) < cutoff;
    if (needsReview) row.needsReview = true;
    return !needsReview;
  });
  const perClass: ReviewSplit['automatic']['per_class'] = {};
  const f1s: number[] = [];
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const row of automatic) {
      const truth = row.trueLabels?.includes(label) ?? false;
      const predicted = row.predicted.includes(label);
      if (truth && predicted) tp++;
      else if (predicted) fp++;
      else if (truth) fn++;
    }
    perClass[label] = { precision: tp + fp ? tp / (tp + fp) : 0, recall: tp + fn ? tp / (tp + fn) : 0, support: tp + fn };
    f1s.push(f1FromCounts(tp, fp, fn));
  }
  return {
    automaticShare: rows.length ? automatic.length / rows.length : 0,
    confidenceBelow: cutoff,
    automatic: { documents: automatic.length, f1_macro: f1s.reduce((a, b) => a + b, 0) / Math.max(1, f1s.length), per_class: perClass },
    toReview: rows.length - automatic.length,
  };
}
