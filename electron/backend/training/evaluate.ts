// Stage 5 of training: the test split scored once with the finished model — per-class precision, recall and F1
// with bootstrap intervals, macro-F1 with its interval, the confusion matrix and the calibration error. Nothing
// measured here feeds back into any choice.
import type { RunMetrics, TaskKind } from '../../../shared/domain.js';
import { DEFAULT_THRESHOLD, expectedCalibrationError } from '../../../shared/calibration.js';
import { bootstrapF1, multiLabelMetrics, singleLabelMetrics, TOO_FEW_TO_TELL } from '../../../shared/metrics.js';

export type TestMetrics = Pick<RunMetrics, 'accuracy' | 'f1_macro' | 'f1_macro_interval' | 'f1_micro' | 'f1_weighted' | 'per_class' | 'confusion_matrix' | 'ece' | 'calibration'>;

export const indicator = (classes: number[], k: number): number[] => Array.from({ length: k }, (_, c) => (classes.includes(c) ? 1 : 0));

export function evaluateTest(
  task: TaskKind,
  labels: string[],
  truth: number[][],
  probabilities: number[][],
  predicted: number[][],
  thresholds: number[] | null,
  bootstrapIterations: number,
  seed: number,
): TestMetrics {
  const k = labels.length;
  const single = task === 'single_label';
  const yTrue = single ? truth.map((t) => t[0]) : truth.map((t) => indicator(t, k));
  const yPred = single ? predicted.map((p) => p[0]) : predicted.map((p) => indicator(p, k));
  const base = single ? singleLabelMetrics(yTrue as number[], yPred as number[], labels) : multiLabelMetrics(yTrue as number[][], yPred as number[][], labels);
  const intervals = bootstrapF1(yTrue, yPred, labels, { iterations: bootstrapIterations, seed, multiLabel: !single });
  for (const label of labels) {
    const entry = base.per_class[label];
    entry.f1Interval = intervals.perClass[label];
    if (entry.support < TOO_FEW_TO_TELL) entry.tooFewToTell = true;
  }
  let confidence: number[];
  let correct: boolean[];
  if (single) {
    confidence = probabilities.map((row, i) => row[(yPred as number[])[i]]);
    correct = (yPred as number[]).map((p, i) => p === (yTrue as number[])[i]);
  } else {
    // Multi-label calibration: every (document, label) decision, confidence = probability of the decided state.
    confidence = [];
    correct = [];
    probabilities.forEach((row, i) =>
      row.forEach((p, c) => {
        const decided = p >= (thresholds?.[c] ?? DEFAULT_THRESHOLD);
        confidence.push(decided ? p : 1 - p);
        correct.push(decided === ((yTrue as number[][])[i][c] === 1));
      }),
    );
  }
  const { ece, bins } = expectedCalibrationError(confidence, correct, 15);
  return { ...base, f1_macro_interval: intervals.macro, ece, calibration: bins };
}
