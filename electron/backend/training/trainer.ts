// The training engine, in stages with typed data between them:
//   prepare (labels, split) → featurize (embedding + TF-IDF, cached) → fit (strategy search, regularisation and
//   decision rule by cross-validation, refit, calibration) → evaluate (the test split, once) → save (model folder).
// Runs in-process; the worker process wraps it.
import type { PredictionRow, RunMetrics, TrainProgress, TrainSettings } from '../../../shared/domain.js';
import { DEFAULT_TRAIN_SETTINGS } from '../../../shared/domain.js';
import { yieldToEventLoop } from '../event-loop.js';
import { softmax, sigmoid } from '../../../shared/calibration.js';
import { costDecision, reviewCutoff, reviewSplit } from './decision-policy.js';
import { evaluateTest } from './evaluate.js';
import { featurize, subsetFeatures } from './featurize.js';
import { selectAndFitLinear, type FitInput, type HeadOutcome } from './fit-linear.js';
import { DEFAULT_MLP_TUNING, fitMlp, type MlpTuning } from './fit-mlp.js';
import { abortError } from './heads.js';
import type { TrainJob, TrainResult } from './job.js';
import { DEFAULT_LEXICAL_OPTIONS, type LexicalOptions } from './lexical.js';
import { writeModelFiles } from './model-files.js';
import { scoreRows, type ScoringModel } from './predictor.js';
import { nearDuplicateKeys, prepare } from './prepare.js';
import { ProgressReporter } from './progress.js';
import { resolvedStrategy, ruleTablePrior } from './strategy.js';


/** Knobs that are not user settings (benchmarks and tests use them). */
export interface TrainTuning {
  lexical: LexicalOptions;
  mlp: MlpTuning;
  bootstrapIterations: number;
}

export const DEFAULT_TUNING: TrainTuning = {
  lexical: DEFAULT_LEXICAL_OPTIONS,
  mlp: DEFAULT_MLP_TUNING,
  bootstrapIterations: 1000,
};

/** The settings training follows: the linear head selects by cross-validation, so it holds out no validation split. */
export function effectiveSettings(settings: Partial<TrainSettings>): TrainSettings {
  const merged = { ...DEFAULT_TRAIN_SETTINGS, ...settings };
  return merged.head === 'linear' ? { ...merged, valFraction: 0 } : merged;
}

export async function trainClassifier(job: TrainJob, onProgress: (p: TrainProgress) => void, signal?: AbortSignal, tuning: Partial<TrainTuning> = {}): Promise<TrainResult> {
  const tune: TrainTuning = { ...DEFAULT_TUNING, ...tuning };
  const settings = effectiveSettings(job.settings);
  const progress = new ProgressReporter(onProgress);
  try {
    // ---- prepare ----
    const keys = await nearDuplicateKeys([...job.examples, ...(job.test ?? [])], progress, signal);
    const data = prepare({ ...job, settings }, (e) => keys.get(e)!);
    const { all, split } = data;
    const K = job.labels.length;
    progress.update('prepare', 1, 1, {
      message: `${split.train.length} documents to learn from, ${split.val.length ? `${split.val.length} to check progress, ` : ''}${split.test.length} kept aside for the final test` +
        (data.droppedAsTestDuplicates ? `; ${data.droppedAsTestDuplicates} left out as copies of test documents` : ''),
    });
    await yieldToEventLoop();

    // ---- featurize ----
    const featurized = await featurize(job, data, settings.lexical !== false ? tune.lexical : null, progress, signal);

    // ---- fit: strategy, regularisation, decision rule, calibration ----
    const prior = ruleTablePrior(job.task, job.labels, data.labeledCounts, data.labeledDocuments);
    const fitInput: FitInput = { task: job.task, labels: job.labels, settings, data, featurized, prior, progress, signal };
    const head: HeadOutcome = settings.head === 'linear' ? await selectAndFitLinear(fitInput) : await fitMlp(fitInput, tune.mlp);

    // ---- evaluate on test ----
    progress.update('evaluate', 0, 1, { message: 'scoring the test documents, which no choice has seen' });
    await yieldToEventLoop();
    const evalStart = Date.now();
    const fitted = { ...head.model, decision: settings.costs ? costDecision(job.task, job.labels, settings.costs) : head.model.decision };
    const single = job.task === 'single_label';
    // A review budget: the cutoff comes from held-out (out-of-fold) predictions, never from the test split.
    const heldOutProbabilities = head.heldOut.logits.map((z) => (single ? softmax(z) : z.map(sigmoid)));
    const reviewBelow = settings.reviewBudget ? reviewCutoff(job.task, heldOutProbabilities, settings.reviewBudget) : null;
    const model: ScoringModel = {
      task: job.task,
      labels: job.labels,
      head: fitted.arch,
      weights: fitted.weights,
      temperature: fitted.calibration.temperature,
      calibrationBias: fitted.calibration.bias,
      thresholds: fitted.decision.thresholds ?? null,
      decisionRule: fitted.decision.rule ?? null,
      reviewBelow,
    };
    const testRows = featurized.parts.test;
    const testExamples = testRows.map((row) => all[featurized.example[row]]);
    const rows: PredictionRow[] = scoreRows(model, subsetFeatures(featurized.features, testRows, featurized.encoder.dim), testExamples.map((e) => e.text));
    rows.forEach((row, j) => {
      const example = testExamples[j];
      if (typeof example.id === 'number') row.documentId = example.id;
      row.trueLabels = [...example.labels];
    });
    const truth = testRows.map((row) => data.classesOf[featurized.example[row]]);
    const probabilities = rows.map((row) => job.labels.map((label) => row.probabilities[label]));
    const predicted = rows.map((row) => row.predicted.map((label) => data.labelIndex.get(label)!));
    const review = reviewBelow !== null ? reviewSplit(job.task, job.labels, rows, reviewBelow) : undefined;
    const measured = evaluateTest(job.task, job.labels, truth, probabilities, predicted, model.thresholds, tune.bootstrapIterations, settings.seed);
    const strategy = resolvedStrategy({
      task: job.task,
      labels: job.labels,
      settings,
      spec: head.spec,
      loss: head.loss,
      c: head.c,
      calibration: fitted.calibration,
      decision: fitted.decision,
      prior,
      // Both places compute: the encoder (often ONNX Runtime) and the head (float64 solver or tfjs).
      backend: `${featurized.encoder.backend} encoder, ${settings.head === 'linear' ? 'L-BFGS (float64)' : 'tfjs'} head`,
      encoder: featurized.encoder.id,
    });
    // The search may leave the word features out (they did not beat the embedding alone on this data).
    const words = fitted.arch.lexicalDim > 0;
    strategy.lexical = { enabled: words, features: fitted.arch.lexicalDim };
    const metrics: RunMetrics = {
      task: job.task,
      labels: [...job.labels],
      ...measured,
      ...(model.thresholds ? { thresholds: Object.fromEntries(job.labels.map((label, c) => [label, model.thresholds![c]])) } : {}),
      strategy,
      n_train: split.train.length,
      n_val: split.val.length,
      n_test: split.test.length,
      ...(data.synthetic.used + data.synthetic.droppedForLeakage > 0 ? { synthetic: data.synthetic } : {}),
      selection: head.selection,
      ...(review ? { review } : {}),
      seconds: { embed: featurized.seconds, train: head.trainSeconds, eval: 0, search: head.searchSeconds },
    };
    if (!single) delete metrics.confusion_matrix;

    // ---- save ----
    await writeModelFiles(job.modelDir, {
      manifest: {
        format: 'finetune-model-v1',
        task: job.task,
        labels: [...job.labels],
        encoder: { spec: job.encoder, options: job.encoderOptions ?? {}, id: featurized.encoder.id, dim: featurized.encoder.dim },
        head: fitted.arch,
        temperature: fitted.calibration.temperature,
        calibrationBias: fitted.calibration.bias,
        thresholds: model.thresholds,
        decisionRule: model.decisionRule,
        reviewBelow,
        strategy,
        createdAt: new Date().toISOString(),
      },
      weights: fitted.weights,
      lexical: words ? featurized.lexical : null,
    });
    metrics.seconds.eval = (Date.now() - evalStart) / 1000;
    progress.update('evaluate', 1, 1);
    progress.update('done', 1, 1, { message: `test macro-F1 ${metrics.f1_macro.toFixed(3)}` });
    const idsOf = (indices: number[]) => indices.map((i) => all[i].id);
    return {
      metrics,
      split: { seed: settings.seed, train: idsOf(split.train), val: idsOf(split.val), test: idsOf(split.test) },
      predictions: rows,
      history: head.history,
      modelDir: job.modelDir,
    };
  } catch (error) {
    // Whatever was interrupted (embedding, a training step), a cancelled run always ends in an AbortError.
    if (signal?.aborted) throw abortError();
    throw error;
  } finally {
    progress.stop();
  }
}
