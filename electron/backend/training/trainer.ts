// The training engine, in stages with typed data between them:
//   prepare (labels, split) → featurize (embedding + TF-IDF, cached) → fit (strategy search, regularisation and
//   decision rule by cross-validation, refit, calibration) → evaluate (the test split, once) → save (model folder).
// Runs in-process; the worker process wraps it.
import type { PredictionRow, RunMetrics, StrategySearchReport, TrainProgress, TrainSettings } from '../../../shared/domain.js';
import { DEFAULT_TRAIN_SETTINGS } from '../../../shared/domain.js';
import { yieldToEventLoop } from '../event-loop.js';
import { softmax, sigmoid } from '../../../shared/calibration.js';
import { costDecision, reviewCutoff, reviewSplit } from './decision-policy.js';
import { evaluateTest } from './evaluate.js';
import { featurize, subsetFeatures } from './featurize.js';
import { searchOnly, selectAndFitLinear, type FitInput, type HeadOutcome } from './fit-linear.js';
import { DEFAULT_MLP_TUNING, fitMlp, type MlpTuning } from './fit-mlp.js';
import { finishedRun, type TrainJob, type TrainResult } from './job.js';
import type { LabelIssuesReport } from './worker-protocol.js';
import { DEFAULT_LEXICAL_OPTIONS, type LexicalOptions } from './lexical.js';
import { writeModelFiles } from './model-files.js';
import { scoreRows, type ScoringModel } from './predictor.js';
import { nearDuplicateKeys, prepare } from './prepare.js';
import { ProgressReporter } from './progress.js';
import { resolvedStrategy, ruleTablePrior } from './strategy.js';
import { throwIfAborted } from '../cancel.js';
import { confidentLearning } from '../../../shared/label-issues.js';
import { outOfFoldProbabilities } from './agent/out-of-fold.js';
import { fineTuneClassifier } from './transformer/job.js';
import { compareFineTuning } from './transformer/candidate.js';
import { fineTuneSentence } from '../../../shared/fine-tune-words.js';


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

/** Stages 1 and 2, which the search alone and a full run share. */
async function prepareAndFeaturize(job: TrainJob, settings: TrainSettings, tune: TrainTuning, progress: ProgressReporter, signal?: AbortSignal, noTest = false): Promise<FitInput> {
  const keys = await nearDuplicateKeys([...job.examples, ...(job.test ?? [])], progress, signal);
  const data = prepare({ ...job, settings }, (e) => keys.get(e)!, { noTest });
  const { split } = data;
  progress.update('prepare', 1, 1, {
    message: `${split.train.length} documents to learn from, ${split.val.length ? `${split.val.length} to check progress, ` : ''}${split.test.length} kept aside for the final test` +
      (data.droppedAsTestDuplicates ? `; ${data.droppedAsTestDuplicates} left out as copies of test documents` : ''),
  });
  await yieldToEventLoop();
  const featurized = await featurize(job, data, settings.lexical !== false ? tune.lexical : null, progress, signal);
  const prior = ruleTablePrior(job.task, job.labels, data.labeledCounts, data.labeledDocuments);
  return { task: job.task, labels: job.labels, settings, data, featurized, prior, progress, signal };
}

/** A cancelled stage always ends in an AbortError, whatever it was doing. */
async function cancellable<T>(signal: AbortSignal | undefined, progress: ProgressReporter, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throwIfAborted(signal);
    throw error;
  } finally {
    progress.stop();
  }
}

/** The strategy search alone, on the job's training split (its test split is set aside and never read). */
export function searchStrategiesOf(job: TrainJob, onProgress: (p: TrainProgress) => void, signal?: AbortSignal, tuning: Partial<TrainTuning> = {}): Promise<StrategySearchReport> {
  const tune: TrainTuning = { ...DEFAULT_TUNING, ...tuning };
  const settings = { ...effectiveSettings(job.settings), head: 'linear' as const, valFraction: 0 };
  const progress = new ProgressReporter(onProgress);
  return cancellable(signal, progress, async () => {
    const report = await searchOnly(await prepareAndFeaturize(job, settings, tune, progress, signal));
    progress.update('done', 1, 1, { message: `best: ${report.pick.name}` });
    return report;
  });
}

/**
 * Documents whose given label looks wrong (confident learning on out-of-fold probabilities, shared/label-issues.ts),
 * over every labeled document of the job: none is held out as a test set, since nothing is evaluated.
 */
export function labelIssuesOf(job: TrainJob, onProgress: (p: TrainProgress) => void, signal?: AbortSignal): Promise<LabelIssuesReport> {
  if (job.task !== 'single_label') throw new Error('Label issues are found for single-label data (one label per document).');
  const settings = { ...effectiveSettings(job.settings), head: 'linear' as const, valFraction: 0 };
  const progress = new ProgressReporter(onProgress);
  return cancellable(signal, progress, async () => {
    const input = await prepareAndFeaturize({ ...job, examples: [...job.examples, ...(job.test ?? [])], test: [] }, settings, DEFAULT_TUNING, progress, signal, true);
    const oof = await outOfFoldProbabilities(input);
    const found = confidentLearning(oof.probabilities, oof.given, job.labels.length);
    progress.update('done', 1, 1, { message: `${found.issues.length} labels look wrong` });
    return {
      documents: oof.ids.length,
      issues: found.issues.map((issue) => ({ id: oof.ids[issue.index], given: job.labels[issue.given], suggested: job.labels[issue.suggested], score: Number(issue.score.toFixed(4)) })),
    };
  });
}

export function trainClassifier(job: TrainJob, onProgress: (p: TrainProgress) => void, signal?: AbortSignal, tuning: Partial<TrainTuning> = {}): Promise<TrainResult> {
  const tune: TrainTuning = { ...DEFAULT_TUNING, ...tuning };
  const settings = effectiveSettings(job.settings);
  const progress = new ProgressReporter(onProgress);
  return cancellable(signal, progress, async () => {
    if (settings.depth && settings.depth !== 'head') return fineTuneClassifier({ ...job, settings: { ...settings, valFraction: job.settings.valFraction ?? 0 } }, progress, signal, tune.bootstrapIterations);
    const fitInput = await prepareAndFeaturize(job, settings, tune, progress, signal);
    const { data, featurized } = fitInput;
    const { all, split } = data;
    const prior = fitInput.prior;
    const head: HeadOutcome = settings.head === 'linear' ? await selectAndFitLinear(fitInput) : await fitMlp(fitInput, tune.mlp);
    if (settings.tryFineTune && settings.strategy === 'auto' && settings.head === 'linear') {
      progress.update('search', 0, 1, { message: 'measuring fine-tuning of the top layer beside the best head' });
      const comparison = await compareFineTuning(job, data, featurized, head, (settings.searchSeconds ?? 120) - head.searchSeconds, signal);
      const sentence = fineTuneSentence(comparison);
      if (comparison.tried && comparison.chosen) {
        const result = await fineTuneClassifier({ ...job, settings: { ...settings, depth: 'top-1', strategy: head.spec.strategy, weights: head.spec.weights ?? settings.weights, gamma: head.spec.gamma ?? settings.gamma } }, progress, signal, tune.bootstrapIterations);
        const selection = result.metrics.selection!;
        result.metrics.selection = { ...selection, fineTune: comparison, reason: `${sentence} ${selection.reason}` };
        return result;
      }
      head.selection = { ...head.selection, fineTune: comparison, reason: `${head.selection.reason} ${sentence}` };
    }

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
      if (example.pair !== undefined) row.pair = example.pair;
      row.trueLabels = [...example.labels];
    });
    const truth = testRows.map((row) => data.classesOf[featurized.example[row]]);
    const probabilities = rows.map((row) => job.labels.map((label) => row.probabilities[label]));
    const predicted = rows.map((row) => row.predicted.map((label) => data.labelIndex.get(label)!));
    const review = reviewBelow !== null ? reviewSplit(job.task, job.labels, rows, reviewBelow) : undefined;
    const measured = evaluateTest(job.task, job.labels, truth, probabilities, predicted, model.thresholds, tune.bootstrapIterations, settings.seed);
    const strategy = resolvedStrategy({
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
      train_counts: Object.fromEntries(job.labels.map((label, c) => [label, split.train.filter((i) => data.classesOf[i].includes(c)).length])),
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
        ...(job.pairs ? { pairs: true, ...(featurized.encoder.crossEncoder ? { crossEncoder: true } : {}) } : {}),
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
    return finishedRun({ metrics, seed: settings.seed, ids: all.map((e) => e.id), split, predictions: rows, history: head.history, modelDir: job.modelDir });
  });
}
