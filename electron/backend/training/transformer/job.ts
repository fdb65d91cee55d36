// A training run that fine-tunes the encoder (settings.depth other than 'head'): the same stratified,
// deduplicated split as every run (synthetic examples only in training), a validation split for early stopping,
// calibration and the decision rule, the test split scored once at the end, and a model folder predict loads.
//
// The shipped USE-lite starts from a linear head fitted on its frozen vectors (linear probing, then fine-tuning:
// the head does not pull the body around while it is still random); a Hugging Face model starts with its
// family's classification head, as transformers does.
import path from 'node:path';
import type { PredictionRow, Recommendation, RunMetrics, TrainSettings } from '../../../../shared/domain.js';
import { macroF1 } from '../../../../shared/metrics.js';
import { loadEncoder } from '../../encoders/index.js';
import { initTensorflow, type TfRuntime } from '../../tf/backend.js';
import { yieldToEventLoop } from '../../event-loop.js';
import { lossFor, specForStrategy, type CandidateSpec } from '../agent/candidates.js';
import { decideRow, tuneDecision } from '../agent/scoring.js';
import { fitCalibration, modelDecision } from '../calibrate.js';
import { evaluateTest } from '../evaluate.js';
import { finishedRun, type TrainJob, type TrainResult } from '../job.js';
import type { LossSpec } from '../losses.js';
import { decide, probabilitiesFromLogits } from '../predictor.js';
import { nearDuplicateKeys, prepare, countClasses, type PreparedData } from '../prepare.js';
import type { ProgressReporter } from '../progress.js';
import { samplingCounts, samplingGroups } from '../sampling.js';
import { resolvedStrategy, ruleTablePrior } from '../strategy.js';
import { checkContrastiveEncoder, contrastivePairCount, tuneContrastively } from './contrastive.js';
import { DEFAULT_FINE_TUNE, fineTune, scoreSequences, type FineTuneProgress, type FineTuneSettings } from './fine-tune.js';
import { fitLinearProbe } from './linear-probe.js';
import { loadTransformerClassifier, loadTransformerTokenizer, readTransformerFolder, saveTransformerClassifier } from './hf-folder.js';
import { CHECKPOINT_DIR, removeCheckpoint } from './resume.js';
import { writeSafetensors } from './safetensors.js';
import { parseDepth, type Depth, type TrainableClassifier } from './trainable.js';
import { HF_FOLDER, saveFineTunedModel, USE_LITE_TOKENS, USE_LITE_WEIGHTS, useLiteTensors } from './saved-model.js';
import { UseLiteClassifier } from './use-lite-trainable.js';

/** Share of the labeled documents held out to stop early and calibrate, when the settings hold out none. */
const DEFAULT_VALIDATION_SHARE = 0.1;

/** The validation share a fine-tuning run holds out: the settings', or the default when they hold out none. */
export const validationShareOf = (settings: TrainSettings): number => (settings.valFraction > 0 ? settings.valFraction : DEFAULT_VALIDATION_SHARE);

export function fineTuneSettingsOf(settings: TrainSettings): FineTuneSettings {
  const o = settings.fineTune ?? {};
  return {
    ...DEFAULT_FINE_TUNE,
    depth: parseDepth(settings.depth ?? 'head', settings.freezeEmbeddings ?? false),
    seed: settings.seed,
    ...(o.epochs ? { epochs: o.epochs } : {}),
    ...(o.batchSize ? { batchSize: o.batchSize } : {}),
    ...(o.accumulate ? { accumulate: o.accumulate } : {}),
    ...(o.contrastivePairs ? { pairs: o.contrastivePairs } : {}),
    optimizer: {
      ...(o.learningRate ? { bodyLearningRate: o.learningRate } : {}),
      ...(o.headLearningRate ? { headLearningRate: o.headLearningRate } : {}),
    },
  };
}

interface Body {
  model: TrainableClassifier;
  ids: number[][];
  padId: number;
  encoderId: string;
  notes: string[];
  /** Where the weights go in the model folder, and how they are written there. */
  weightsPath: string;
  writeWeights(target: string): Promise<void>;
}

/** Loads the trainable model and tokenises every example (train, validation and test alike). */
async function loadBody(tf: TfRuntime['tf'], job: TrainJob, texts: string[], trainRows: number[], targets: number[][], loss: LossSpec, maxLength: number, depth: Depth): Promise<Body> {
  const contrastive = depth.kind === 'contrastive';
  if (job.encoder === 'use-lite') {
    const encoder = await loadEncoder('use-lite', { maxTokens: USE_LITE_TOKENS, longDocs: 'truncate' });
    try {
      const ids = (await encoder.tokenize(texts)).map((s) => (s.length > 0 ? s.slice(0, Math.min(maxLength, USE_LITE_TOKENS)) : [0]));
      // Contrastive tuning fits its head after the body has moved; the other depths start from a probe.
      const head = contrastive ? undefined : await fitLinearProbe(tf, await encoder.embed(trainRows.map((i) => texts[i])), trainRows.map((i) => targets[i]), job.labels.length, loss);
      const model = new UseLiteClassifier(tf, job.labels.length, head);
      return {
        model, ids, padId: 0, encoderId: encoder.id,
        notes: [contrastive ? 'the head was fitted on the tuned vectors' : 'head started from a linear probe on the frozen vectors'],
        weightsPath: USE_LITE_WEIGHTS, writeWeights: (target) => writeSafetensors(target, useLiteTensors(model)),
      };
    } finally {
      await encoder.dispose();
    }
  }
  if (!job.encoder.startsWith('hf:')) throw new Error(`encoder '${job.encoder}' cannot be fine-tuned: use 'use-lite' or 'hf:<folder>'`);
  if (contrastive) checkContrastiveEncoder(job.encoder);
  const source = await readTransformerFolder(job.encoder.slice(3));
  const tokenizer = await loadTransformerTokenizer(source, maxLength);
  const { model, initialised } = await loadTransformerClassifier(tf, source, job.labels.length, job.settings.seed);
  return {
    model,
    ids: texts.map(tokenizer.encode),
    padId: tokenizer.padId,
    encoderId: `hf:${source.config.modelType}:${source.folder}`,
    notes: initialised.length ? [`new head initialised at random: ${initialised.join(', ')}`] : [],
    weightsPath: HF_FOLDER,
    writeWeights: (target) => saveTransformerClassifier(model, source, target, job.labels, job.task),
  };
}

/** 'auto': tuned offsets or thresholds only if they beat argmax when tuned on one half of validation and scored on the other. */
function chooseDecision(task: TrainJob['task'], mode: TrainSettings['decision'], logits: Float64Array, truth: number[][], K: number): { mode: 'argmax' | 'tuned'; raw: number[] | null } {
  const rows = truth.map((_, i) => i);
  if (mode === 'argmax' || rows.length < 4) return { mode: 'argmax', raw: null };
  if (mode === 'tuned') return { mode: 'tuned', raw: tuneDecision(task, logits, truth, rows, K) };
  const halves = [rows.filter((i) => i % 2 === 0), rows.filter((i) => i % 2 === 1)];
  const scoreOf = (decided: number[][]) => (task === 'single_label'
    ? macroF1(truth.map((t) => t[0]), decided.map((d) => d[0]), K)
    : macroF1(truth, decided, K));
  const argmax = rows.map((i) => decideRow(task, logits.subarray(i * K, (i + 1) * K), null));
  const tuned = new Array<number[]>(rows.length);
  halves.forEach((half, h) => {
    const offsets = tuneDecision(task, logits, truth, halves[1 - h], K);
    for (const i of half) tuned[i] = decideRow(task, logits.subarray(i * K, (i + 1) * K), offsets);
  });
  return scoreOf(tuned) > scoreOf(argmax) + 0.01 ? { mode: 'tuned', raw: tuneDecision(task, logits, truth, rows, K) } : { mode: 'argmax', raw: null };
}

const flat = (rows: Float32Array[], K: number): Float64Array => {
  const out = new Float64Array(rows.length * K);
  rows.forEach((row, i) => out.set(row, i * K));
  return out;
};

/**
 * The strategy of a run that does not search (fine-tuning, the GPU job): the user's, or with 'auto' the rule
 * table's recommendation on the training counts.
 */
export function strategyWithoutSearch(job: Pick<TrainJob, 'task' | 'labels'>, settings: TrainSettings, data: PreparedData): { prior: Recommendation; spec: CandidateSpec } {
  const prior = ruleTablePrior(job.task, job.labels, data.labeledCounts, data.labeledDocuments);
  const auto = settings.strategy === 'auto';
  const suggested = settings.strategy === 'auto' ? prior.strategy : settings.strategy;
  // Without accepted synthetic examples, "synthetic + oversample" is oversampling.
  const chosen = suggested === 'synthetic+oversample' && data.synthetic.used === 0 ? 'oversample' : suggested;
  const spec = specForStrategy(chosen, auto ? (prior.weights ?? settings.weights) : settings.weights, auto ? (prior.gamma ?? settings.gamma) : settings.gamma, data.synthetic.used > 0);
  return { prior, spec };
}

export async function fineTuneClassifier(job: TrainJob, progress: ProgressReporter, signal: AbortSignal | undefined, bootstrapIterations: number): Promise<TrainResult> {
  if (job.pairs) throw new Error('Fine-tuning a sentence-pair model is not built yet: train pairs with depth "head".');
  const rt = await initTensorflow();
  const { tf } = rt;
  const settings: TrainSettings = { ...job.settings, valFraction: validationShareOf(job.settings) };
  const tune = fineTuneSettingsOf(settings);
  const keys = await nearDuplicateKeys([...job.examples, ...(job.test ?? [])], progress, signal);
  const data = prepare({ ...job, settings }, (e) => keys.get(e)!);
  const { split, all } = data;
  if (split.val.length === 0) throw new Error('training data: fine-tuning needs a validation split to stop early; add examples or raise the validation fraction');
  const K = job.labels.length;
  const trainCounts = countClasses(data, split.train, K);
  const { prior, spec } = strategyWithoutSearch(job, settings, data);
  const loss = lossFor(job.task, spec, trainCounts);
  const repeats = Array.from(samplingCounts(spec.sampling, samplingGroups(split.train.map((i) => data.classesOf[i]), trainCounts), settings.seed));

  progress.update('load', 0, 0, { message: 'and reading the documents with it' });
  const started = Date.now();
  const maxLength = settings.fineTune?.maxLength ?? 128;
  const body = await loadBody(tf, job, all.map((e) => e.text), split.train, data.classesOf, loss, maxLength, tune.depth);
  const checkpointDir = path.join(job.modelDir, CHECKPOINT_DIR);
  const embedSeconds = (Date.now() - started) / 1000;
  try {
    const trainStart = Date.now();
    const tuneData = {
      task: job.task,
      classes: K,
      train: { ids: split.train.map((i) => body.ids[i]), targets: split.train.map((i) => data.classesOf[i]), repeats },
      val: { ids: split.val.map((i) => body.ids[i]), targets: split.val.map((i) => data.classesOf[i]) },
    };
    const onStep = (p: FineTuneProgress) => progress.update('train', p.step, p.totalSteps, { epoch: p.epoch, loss: p.loss, ...(p.valMacroF1 !== undefined ? { valMacroF1: p.valMacroF1 } : {}) }, p.valMacroF1 !== undefined);
    const outcome = tune.depth.kind === 'contrastive' && body.model instanceof UseLiteClassifier
      ? await tuneContrastively(tf, body.model, body.padId, tuneData, loss, tune, onStep, signal)
      : await fineTune(tf, body.model, { padId: body.padId }, tuneData, loss, { ...tune, checkpoint: { dir: checkpointDir, resume: job.resume ?? false } }, onStep, signal);
    if (outcome.resumed) body.notes.push('afterEpoch' in outcome.resumed ? `resumed after epoch ${outcome.resumed.afterEpoch}` : `not resumed (${outcome.resumed.reason}): trained from the start`);
    const trainSeconds = (Date.now() - trainStart) / 1000;

    progress.update('calibrate', 0, 1, { message: 'calibrating on the validation documents' });
    const valTruth = split.val.map((i) => data.classesOf[i]);
    const valLogits = await scoreSequences(tf, body.model, split.val.map((i) => body.ids[i]), body.padId, 32, signal);
    const calibration = await fitCalibration(job.task, valLogits, valTruth, K);
    const choice = chooseDecision(job.task, settings.decision, flat(valLogits, K), valTruth, K);
    const decision = modelDecision(job.task, choice.mode, choice.raw, calibration);

    progress.update('evaluate', 0, 1, { message: 'scoring the test documents, which no choice has seen' });
    await yieldToEventLoop();
    const evalStart = Date.now();
    const testLogits = await scoreSequences(tf, body.model, split.test.map((i) => body.ids[i]), body.padId, 32, signal);
    const probabilities = probabilitiesFromLogits(job.task, flat(testLogits, K), K, calibration.temperature, calibration.bias);
    const thresholds = decision.thresholds ?? null;
    const predicted = decide(job.task, probabilities, thresholds, decision.rule ?? null);
    const truth = split.test.map((i) => data.classesOf[i]);
    const measured = evaluateTest(job.task, job.labels, truth, probabilities, predicted, thresholds, bootstrapIterations, settings.seed);
    const rows: PredictionRow[] = split.test.map((i, j) => ({
      text: all[i].text,
      predicted: predicted[j].map((c) => job.labels[c]),
      probabilities: Object.fromEntries(job.labels.map((label, c) => [label, probabilities[j][c]])),
      trueLabels: [...all[i].labels],
      ...(typeof all[i].id === 'number' ? { documentId: all[i].id as number } : {}),
    }));
    const strategy = resolvedStrategy({
      labels: job.labels, settings, spec, loss, c: null, calibration, decision, prior,
      backend: `tfjs-${rt.backend} (fine-tuned, depth ${settings.depth})`,
      encoder: body.encoderId,
    });
    strategy.epochs = outcome.history.length;
    const metrics: RunMetrics = {
      task: job.task,
      labels: [...job.labels],
      ...measured,
      ...(thresholds ? { thresholds: Object.fromEntries(job.labels.map((label, c) => [label, thresholds[c]])) } : {}),
      strategy,
      n_train: split.train.length,
      train_counts: Object.fromEntries(job.labels.map((label, c) => [label, trainCounts[c]])),
      n_val: split.val.length,
      n_test: split.test.length,
      ...(data.synthetic.used + data.synthetic.droppedForLeakage > 0 ? { synthetic: data.synthetic } : {}),
      selection: {
        method: 'validation',
        reason: (tune.depth.kind === 'contrastive'
          ? `Tuned contrastively on ${contrastivePairCount(split.train.length, tune.pairs)} document pairs (SetFit-style), then a linear head (validation macro-F1 ${outcome.history[0].valMacroF1.toFixed(3)}); `
          : `Fine-tuned (${settings.depth}) for ${outcome.history.length} epoch(s), keeping epoch ${outcome.bestEpoch} (best validation macro-F1 ${Math.max(...outcome.history.map((h) => h.valMacroF1)).toFixed(3)}); `) +
          `${choice.mode === 'tuned' ? 'tuned decisions' : 'argmax decisions'} chosen on the validation split. ${body.notes.join('; ')}`.trim(),
      },
      seconds: { embed: embedSeconds, train: trainSeconds, eval: 0 },
    };
    if (job.task !== 'single_label') delete metrics.confusion_matrix;
    await saveFineTunedModel(job.modelDir, {
      task: job.task, labels: [...job.labels], encoderSpec: job.encoder, encoderId: body.encoderId, depth: settings.depth ?? 'head', maxLength, weights: body.weightsPath,
      temperature: calibration.temperature, calibrationBias: calibration.bias, thresholds, decisionRule: decision.rule ?? null, strategy,
      fineTune: { history: outcome.history, bestEpoch: outcome.bestEpoch, secondsPerMicroBatch: outcome.secondsPerStep },
    }, body.writeWeights);
    await removeCheckpoint(checkpointDir);
    metrics.seconds.eval = (Date.now() - evalStart) / 1000;
    progress.update('done', 1, 1, { message: `test macro-F1 ${metrics.f1_macro.toFixed(3)}` });
    const history = outcome.history.map((h) => ({ epoch: h.epoch, loss: h.loss, valMacroF1: h.valMacroF1 }));
    return finishedRun({ metrics, seed: settings.seed, ids: all.map((e) => e.id), split, predictions: rows, history, modelDir: job.modelDir });
  } finally {
    body.model.dispose();
  }
}
