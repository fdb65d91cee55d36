// The training engine: split → embed (cached) → lexical features → head (tfjs, Adam, early stopping on validation
// macro-F1) → calibration (temperature, or per-class thresholds for multi-label) → evaluation on the test split →
// the model folder. Runs in-process; the worker process wraps it.
import type { EpochPoint } from '../../../shared/api.js';
import type { PredictionRow, RunMetrics, TaskKind, TrainProgress, TrainSettings, TrainPhase } from '../../../shared/domain.js';
import { DEFAULT_TRAIN_SETTINGS } from '../../../shared/domain.js';
import { bootstrapF1Intervals, macroF1, multiLabelMetrics, singleLabelMetrics } from '../../../shared/metrics.js';
import { DEFAULT_THRESHOLD, expectedCalibrationError, fitTemperature, tuneThresholds } from '../../../shared/calibration.js';
import { stratifiedSplit } from '../../../shared/split.js';
import { nearDuplicateKey } from '../../../shared/text.js';
import { loadEncoder, type LoadEncoderOptions } from '../encoders/index.js';
import { EmbeddingCache, embedWithCache } from '../encoders/cache.js';
import type { TextEncoder } from '../encoders/types.js';
import { initTensorflow } from '../tf/backend.js';
import { yieldToEventLoop } from '../event-loop.js';
import { abortError, fitHead, headLogits, throwIfAborted, type FeatureSet, type HeadArchitecture, type HeadWeights } from './heads.js';
import { columnLookup, concatRows, DEFAULT_LEXICAL_OPTIONS, DocumentFrequencies, recipeFromFrequencies, selectRows, transformLexical, type LexicalOptions, type LexicalRecipe, type SparseRows } from './lexical.js';
import { writeModelFiles } from './model-files.js';
import { buildFeatures, decide, probabilitiesFromLogits, scoreRows, type ScoringModel } from './predictor.js';
import { createEpochSampler, samplingGroups } from './sampling.js';
import { resolveStrategy } from './strategy.js';
import { TokenCache, tokenizeWithCache } from './token-cache.js';

export interface TrainExample {
  id: number | string;
  text: string;
  contentHash: string;
  labels: string[];
  synthetic?: boolean;
  /** Synthetic examples: ids of the examples their text was made from (see the leakage guard in prepare()). */
  parents?: (number | string)[];
}

export interface TrainJob {
  task: TaskKind;
  /** Label order = output order. */
  labels: string[];
  /** Labeled data; split here unless `test` is given. */
  examples: TrainExample[];
  /** Explicit test set (CLI --test): then only train/val are split from examples. */
  test?: TrainExample[];
  settings: TrainSettings;
  /** 'use-lite' or 'hf:<folder>'. */
  encoder: string;
  /** Encoder options (window length, long-document mode); saved with the model so predict embeds the same way. */
  encoderOptions?: LoadEncoderOptions;
  /** The embedding cache SQLite file. */
  cacheFile: string;
  /** Where the trained model is written. */
  modelDir: string;
}

export interface TrainResult {
  metrics: RunMetrics;
  split: { seed: number; train: (number | string)[]; val: (number | string)[]; test: (number | string)[] };
  predictions: PredictionRow[];
  history: EpochPoint[];
  modelDir: string;
}

/** Knobs that are not user settings (benchmarks and tests use them). */
export interface TrainTuning {
  lexical: LexicalOptions;
  /** Largest minibatch; small training sets use smaller ones so that an epoch still has MIN_STEPS_PER_EPOCH steps. */
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  patience: number;
  mlpHidden: number;
  mlpDropout: number;
  bootstrapIterations: number;
}

export const DEFAULT_TUNING: TrainTuning = {
  lexical: DEFAULT_LEXICAL_OPTIONS,
  batchSize: 64,
  // 0.01 reached the best validation epoch in 2-3 epochs and lost 2-4 points of test macro-F1 (docs/experiments.md).
  learningRate: 0.002,
  weightDecay: 0,
  patience: 8,
  mlpHidden: 256,
  mlpDropout: 0.2,
  bootstrapIterations: 1000,
};

const PROGRESS_INTERVAL_MS = 250;
const HEARTBEAT_MS = 400;
/** Documents per embedding slice (the signal is checked and events are handled between slices). */
const EMBED_SLICE = 64;
// With a few hundred examples and batches of 64, the small learning rate would take hundreds of epochs.
const MIN_STEPS_PER_EPOCH = 32;
const MIN_BATCH = 8;
/** Texts per slice of near-duplicate key computation. */
const KEY_SLICE = 50;
/** Documents per slice of lexical feature work. */
const LEXICAL_SLICE = 100;

/** Throttled progress with ETA; a heartbeat re-sends the latest state so the caller never waits > 0.5 s. */
class ProgressReporter {
  private phase: TrainPhase = 'prepare';
  private phaseStart = Date.now();
  private lastSent = 0;
  private latest: TrainProgress = { runId: null, phase: 'prepare', done: 0, total: 0, etaSeconds: null };
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly send: (p: TrainProgress) => void) {
    this.timer = setInterval(() => {
      if (Date.now() - this.lastSent >= HEARTBEAT_MS) this.flush();
    }, HEARTBEAT_MS / 2);
    this.timer.unref?.();
  }

  /** force: always send (an epoch's end is a point on the user's learning curve and must not be throttled away). */
  update(phase: TrainPhase, done: number, total: number, extra: Partial<TrainProgress> = {}, force = false): void {
    const changed = phase !== this.phase;
    if (changed) {
      this.phase = phase;
      this.phaseStart = Date.now();
    }
    const elapsed = (Date.now() - this.phaseStart) / 1000;
    const etaSeconds = done > 0 && total > done ? (elapsed / done) * (total - done) : done >= total && total > 0 ? 0 : null;
    // A new phase starts clean: the previous phase's message, epoch and loss do not carry over.
    const carried = changed ? {} : this.latest;
    this.latest = { ...carried, ...extra, runId: null, phase, done, total, etaSeconds };
    if (force || changed || done === total || Date.now() - this.lastSent >= PROGRESS_INTERVAL_MS) this.flush();
  }

  flush(): void {
    this.lastSent = Date.now();
    this.send({ ...this.latest });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

interface PreparedData {
  labelIndex: Map<string, number>;
  /** The labeled pool (examples minus duplicates of explicit test texts), then the explicit test set (if any). */
  all: TrainExample[];
  classesOf: number[][];
  split: { train: number[]; val: number[]; test: number[] };
  /** Real (not synthetic) labeled examples per class, as the imbalance review counts them: what 'auto' decides on. */
  labeledCounts: number[];
  /** Real labeled examples (documents): the review's figure for the 100k+ undersampling row. */
  labeledDocuments: number;
  droppedAsTestDuplicates: number;
  synthetic: { used: number; droppedForLeakage: number };
}

function classIndices(example: TrainExample, labelIndex: Map<string, number>, task: TaskKind, where: string): number[] {
  const indices = example.labels.map((label) => {
    const c = labelIndex.get(label);
    if (c === undefined) throw new Error(`${where}: example ${example.id} has label '${label}', which is not one of the job's labels (${[...labelIndex.keys()].join(', ')})`);
    return c;
  });
  if (task === 'single_label' && indices.length !== 1) {
    throw new Error(`${where}: example ${example.id} has ${indices.length} labels; a single-label task needs exactly one`);
  }
  return [...new Set(indices)];
}

/** Validates labels and splits: synthetic examples only in training, near-duplicates kept on one side. */
export function prepare(job: TrainJob, keyOf: (e: TrainExample) => string = (e) => nearDuplicateKey(e.text)): PreparedData {
  if (job.labels.length < 2) throw new Error(`training needs at least 2 labels, got ${job.labels.length}`);
  const labelIndex = new Map(job.labels.map((label, c) => [label, c]));
  const settings = job.settings;
  const testKeys = new Set((job.test ?? []).map(keyOf));
  const pool = job.examples.filter((e) => !testKeys.has(keyOf(e)));
  const all = [...pool, ...(job.test ?? [])];
  const classesOf = all.map((e, i) => classIndices(e, labelIndex, job.task, i < pool.length ? 'training data' : 'test data'));
  const real = pool.map((e, i) => i).filter((i) => !pool[i].synthetic);
  const synthetic = pool.map((e, i) => i).filter((i) => pool[i].synthetic);
  const parts = stratifiedSplit({
    labels: real.map((i) => classesOf[i]),
    groups: real.map((i) => keyOf(pool[i])),
    valFraction: job.test ? settings.valFraction / (1 - settings.testFraction) : settings.valFraction,
    testFraction: job.test ? 0 : settings.testFraction,
    seed: settings.seed,
    multiLabel: job.task === 'multi_label',
  });
  const testIndices = job.test ? job.test.map((_, j) => pool.length + j) : parts.test.map((k) => real[k]);
  // Leakage guard (added by the synthetic-examples helper): a synthetic example trains only if every example it was
  // made from (its parents) is in the training split; otherwise validation/test text would reach training.
  const trainIds = new Set(parts.train.map((k) => pool[real[k]].id));
  const usedSynthetic = synthetic.filter((i) => (pool[i].parents ?? []).every((parent) => trainIds.has(parent)));
  const syntheticCounts = { used: usedSynthetic.length, droppedForLeakage: synthetic.length - usedSynthetic.length };
  const split = { train: [...parts.train.map((k) => real[k]), ...usedSynthetic], val: parts.val.map((k) => real[k]), test: testIndices };
  if (split.train.length === 0) throw new Error('training data: no example is left for training after the split');
  if (split.test.length === 0) throw new Error('training data: the test split is empty; add examples or raise testFraction');
  // Synthetic examples are left out, as in the review: accepting them must not change the strategy 'auto' follows
  // away from the one the review recommended.
  const labeledCounts = new Array<number>(job.labels.length).fill(0);
  for (const i of real) for (const c of classesOf[i]) labeledCounts[c]++;
  return {
    labelIndex,
    all,
    classesOf,
    split,
    labeledCounts,
    labeledDocuments: real.length,
    droppedAsTestDuplicates: job.examples.length - pool.length,
    synthetic: syntheticCounts,
  };
}

function targetMatrix(rows: number[], classesOf: number[][], classes: number): Float32Array {
  const targets = new Float32Array(rows.length * classes);
  rows.forEach((row, i) => classesOf[row].forEach((c) => (targets[i * classes + c] = 1)));
  return targets;
}

const indicator = (classes: number[], k: number): number[] => Array.from({ length: k }, (_, c) => (classes.includes(c) ? 1 : 0));

function logitRows(logits: Float64Array, k: number): number[][] {
  return Array.from({ length: logits.length / k }, (_, i) => Array.from(logits.subarray(i * k, (i + 1) * k)));
}

/** Macro-F1 of predictions against truth, in the task's form. */
function macroF1Of(task: TaskKind, truth: number[][], predicted: number[][], k: number): number {
  return task === 'single_label'
    ? macroF1(truth.map((t) => t[0]), predicted.map((p) => p[0]), k)
    : macroF1(truth.map((t) => indicator(t, k)), predicted.map((p) => indicator(p, k)), k);
}

/**
 * Fits the TF-IDF recipe on the first trainCount documents and transforms all of them, in slices with event-loop
 * yields between (several seconds of work on a large corpus: progress keeps flowing and cancel is seen).
 */
async function buildLexicalFeatures(
  ids: ArrayLike<number>[],
  trainCount: number,
  options: LexicalOptions,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<{ recipe: LexicalRecipe; rows: SparseRows }> {
  const total = trainCount + ids.length;
  const frequencies = new DocumentFrequencies();
  for (let start = 0; start < trainCount; start += LEXICAL_SLICE) {
    throwIfAborted(signal);
    for (let i = start; i < Math.min(trainCount, start + LEXICAL_SLICE); i++) frequencies.add(ids[i]);
    onProgress(Math.min(trainCount, start + LEXICAL_SLICE), total);
    await yieldToEventLoop();
  }
  const recipe = recipeFromFrequencies(frequencies, options);
  const lookup = columnLookup(recipe);
  const parts: SparseRows[] = [];
  for (let start = 0; start < ids.length; start += LEXICAL_SLICE) {
    throwIfAborted(signal);
    parts.push(transformLexical(recipe, ids.slice(start, start + LEXICAL_SLICE), lookup));
    onProgress(trainCount + Math.min(ids.length, start + LEXICAL_SLICE), total);
    await yieldToEventLoop();
  }
  return { recipe, rows: concatRows(parts) };
}

function evaluate(
  task: TaskKind,
  labels: string[],
  truth: number[][],
  probabilities: number[][],
  predicted: number[][],
  thresholds: number[] | null,
  bootstrapIterations: number,
  seed: number,
): Pick<RunMetrics, 'accuracy' | 'f1_macro' | 'f1_micro' | 'f1_weighted' | 'per_class' | 'confusion_matrix' | 'ece' | 'calibration'> {
  const k = labels.length;
  if (task === 'single_label') {
    const yTrue = truth.map((t) => t[0]);
    const yPred = predicted.map((p) => p[0]);
    const base = singleLabelMetrics(yTrue, yPred, labels);
    const intervals = bootstrapF1Intervals(yTrue, yPred, labels, { iterations: bootstrapIterations, seed });
    for (const label of labels) base.per_class[label].f1Interval = intervals[label];
    const confidence = probabilities.map((row, i) => row[yPred[i]]);
    const { ece, bins } = expectedCalibrationError(confidence, yPred.map((p, i) => p === yTrue[i]), 15);
    return { ...base, ece, calibration: bins };
  }
  const yTrue = truth.map((t) => indicator(t, k));
  const yPred = predicted.map((p) => indicator(p, k));
  const base = multiLabelMetrics(yTrue, yPred, labels);
  const intervals = bootstrapF1Intervals(yTrue, yPred, labels, { iterations: bootstrapIterations, seed, multiLabel: true });
  for (const label of labels) base.per_class[label].f1Interval = intervals[label];
  // Multi-label calibration: every (document, label) decision, confidence = probability of the decided state.
  const confidence: number[] = [];
  const correct: boolean[] = [];
  probabilities.forEach((row, i) =>
    row.forEach((p, c) => {
      const decided = p >= (thresholds?.[c] ?? DEFAULT_THRESHOLD);
      confidence.push(decided ? p : 1 - p);
      correct.push(decided === (yTrue[i][c] === 1));
    }),
  );
  const { ece, bins } = expectedCalibrationError(confidence, correct, 15);
  return { ...base, ece, calibration: bins };
}

export async function trainClassifier(job: TrainJob, onProgress: (p: TrainProgress) => void, signal?: AbortSignal, tuning: Partial<TrainTuning> = {}): Promise<TrainResult> {
  const tune: TrainTuning = { ...DEFAULT_TUNING, ...tuning };
  const settings: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS, ...job.settings };
  const progress = new ProgressReporter(onProgress);
  let encoder: TextEncoder | null = null;
  let cache: EmbeddingCache | null = null;
  let tokenCache: TokenCache | null = null;
  try {
    // Near-duplicate keys normalise every text (seconds on long e-mails): computed in slices, between yields.
    const everyExample = [...job.examples, ...(job.test ?? [])];
    const keys = new Map<TrainExample, string>();
    for (let start = 0; start < everyExample.length; start += KEY_SLICE) {
      throwIfAborted(signal);
      everyExample.slice(start, start + KEY_SLICE).forEach((e) => keys.set(e, nearDuplicateKey(e.text)));
      progress.update('prepare', Math.min(everyExample.length, start + KEY_SLICE), everyExample.length + 1, { message: 'finding near-duplicates for the split' });
      await yieldToEventLoop();
    }
    const data = prepare({ ...job, settings }, (e) => keys.get(e)!);
    const { all, classesOf, split } = data;
    const k = job.labels.length;
    // Each of these steps is one synchronous block: report between them so the caller hears from us.
    progress.update('prepare', everyExample.length, everyExample.length + 1, { message: 'starting TensorFlow.js' });
    await yieldToEventLoop();
    const { tf, backend } = await initTensorflow();
    progress.update('prepare', everyExample.length, everyExample.length + 1, { message: `loading the encoder (${job.encoder})` });
    await yieldToEventLoop();
    encoder = await loadEncoder(job.encoder, job.encoderOptions);
    cache = await EmbeddingCache.open(job.cacheFile);
    progress.update('prepare', everyExample.length + 1, everyExample.length + 1, {
      message: `${split.train.length} train / ${split.val.length} validation / ${split.test.length} test` + (data.droppedAsTestDuplicates ? `; ${data.droppedAsTestDuplicates} training examples dropped as duplicates of test texts` : ''),
    });

    // ---- embed (cached) and tokenize ----
    const embedStart = Date.now();
    const used = [...split.train, ...split.val, ...split.test];
    const items = used.map((i) => ({ text: all[i].text, contentHash: all[i].contentHash }));
    // In slices, yielding between them, so a cancel message from the worker's parent is seen within a slice.
    const embeddings: Float32Array[] = [];
    for (let start = 0; start < items.length; start += EMBED_SLICE) {
      throwIfAborted(signal);
      const slice = items.slice(start, start + EMBED_SLICE);
      embeddings.push(...(await embedWithCache(encoder, cache, slice, (p) => progress.update('embed', start + p.done, items.length, { message: 'embedding documents' }), signal)));
      await yieldToEventLoop();
    }
    const lexicalOn = settings.lexical !== false;
    let lexicalRecipe: LexicalRecipe | null = null;
    let sparseAll: SparseRows | undefined;
    if (lexicalOn) {
      tokenCache = TokenCache.open(job.cacheFile);
      const ids = await tokenizeWithCache(encoder, tokenCache, items, (done, total) => progress.update('embed', done, total, { message: 'tokenizing for lexical features' }), signal);
      const built = await buildLexicalFeatures(ids, split.train.length, tune.lexical, (done, total) => progress.update('embed', done, total, { message: 'computing lexical features' }), signal);
      lexicalRecipe = built.recipe;
      sparseAll = built.rows;
    }
    // seconds.embed covers embedding, tokenising and the lexical features: everything before the head trains.
    const embedSeconds = (Date.now() - embedStart) / 1000;
    throwIfAborted(signal);

    const positions = { train: [0, split.train.length], val: [split.train.length, split.train.length + split.val.length], test: [split.train.length + split.val.length, used.length] } as const;
    const featuresOf = (part: keyof typeof positions): FeatureSet => {
      const rows = Array.from({ length: positions[part][1] - positions[part][0] }, (_, j) => positions[part][0] + j);
      return buildFeatures(rows.map((r) => embeddings[r]), encoder!.dim, sparseAll ? selectRows(sparseAll, rows) : undefined);
    };
    const trainFeatures = featuresOf('train');
    const valFeatures = featuresOf('val');
    const testFeatures = featuresOf('test');
    const truthOf = (part: 'train' | 'val' | 'test'): number[][] => split[part].map((i) => classesOf[i]);

    // ---- strategy ----
    const countsOver = (rows: number[]): number[] => {
      const counts = new Array<number>(k).fill(0);
      rows.forEach((i) => classesOf[i].forEach((c) => counts[c]++));
      return counts;
    };
    const trainCounts = countsOver(split.train);
    const plan = resolveStrategy({
      task: job.task,
      labels: job.labels,
      settings,
      labeledCounts: data.labeledCounts,
      labeledDocuments: data.labeledDocuments,
      trainCounts,
      // Both places compute: the encoder (often ONNX Runtime) and the head (tfjs).
      backend: `${encoder.backend} encoder, tfjs-${backend} head`,
      encoder: encoder.id,
    });
    plan.resolved.lexical = { enabled: lexicalOn, features: lexicalRecipe?.idf.length ?? 0 };

    // ---- train ----
    const trainStart = Date.now();
    const arch: HeadArchitecture = {
      kind: settings.head,
      denseDim: encoder.dim,
      lexicalDim: lexicalRecipe?.idf.length ?? 0,
      classes: k,
      hidden: settings.head === 'mlp' ? tune.mlpHidden : 0,
      dropout: settings.head === 'mlp' ? tune.mlpDropout : 0,
    };
    const sampler = createEpochSampler(plan.sampling, samplingGroups(truthOf('train'), trainCounts), settings.seed);
    // With no validation examples, early stopping falls back to the training split.
    const stopOn = split.val.length > 0 ? { features: valFeatures, truth: truthOf('val') } : { features: trainFeatures, truth: truthOf('train') };
    const predictWith = (weights: HeadWeights, features: FeatureSet, thresholds: number[] | null, temperature = 1): number[][] =>
      decide(job.task, probabilitiesFromLogits(job.task, headLogits(arch, weights, features), k, temperature), thresholds);
    const batchSize = Math.max(MIN_BATCH, Math.min(tune.batchSize, Math.ceil(split.train.length / MIN_STEPS_PER_EPOCH)));
    const stepsPerEpoch = Math.ceil(split.train.length / batchSize);
    let lastEpoch: EpochPoint | undefined;
    const fitted = await fitHead(tf, {
      arch,
      loss: plan.loss,
      train: trainFeatures,
      targets: targetMatrix(split.train, classesOf, k),
      epochIndices: sampler,
      // Multi-label: early in training no sigmoid reaches 0.5 for a rare label, so a fixed 0.5 would score every
      // epoch near 0 and stop too soon; each epoch is scored with thresholds tuned on the same validation set.
      validate: (weights) => {
        if (job.task === 'single_label') return macroF1Of(job.task, stopOn.truth, predictWith(weights, stopOn.features, null), k);
        const probabilities = probabilitiesFromLogits(job.task, headLogits(arch, weights, stopOn.features), k, 1);
        const truth01 = stopOn.truth.map((t) => indicator(t, k));
        return macroF1Of(job.task, stopOn.truth, decide(job.task, probabilities, tuneThresholds(probabilities, truth01)), k);
      },
      maxEpochs: settings.epochs,
      patience: tune.patience,
      batchSize,
      learningRate: tune.learningRate,
      weightDecay: tune.weightDecay,
      seed: settings.seed,
      signal,
      // Mid-epoch events carry the running loss only: a validation score belongs to a finished epoch, and the
      // message says which one, so "epoch 7" beside epoch 6's score cannot be misread.
      onStep: ({ epoch, step, loss }) =>
        progress.update('train', (epoch - 1) * stepsPerEpoch + step, settings.epochs * stepsPerEpoch, {
          epoch,
          loss,
          valMacroF1: undefined,
          message: lastEpoch ? `epoch ${lastEpoch.epoch}: validation macro-F1 ${lastEpoch.valMacroF1.toFixed(3)}` : undefined,
        }),
      onEpoch: (record) => {
        lastEpoch = record;
        progress.update('train', record.epoch * stepsPerEpoch, settings.epochs * stepsPerEpoch, { epoch: record.epoch, loss: record.loss, valMacroF1: record.valMacroF1, message: `epoch ${record.epoch}: validation macro-F1 ${record.valMacroF1.toFixed(3)}` }, true);
      },
    });
    const trainSeconds = (Date.now() - trainStart) / 1000;

    // ---- calibrate on validation ----
    progress.update('calibrate', 0, 1, { message: job.task === 'single_label' ? 'fitting the temperature on validation' : 'tuning per-class thresholds on validation' });
    throwIfAborted(signal);
    const evalStart = Date.now();
    const valLogits = headLogits(arch, fitted.weights, valFeatures);
    let temperature = 1;
    let thresholds: number[] | null = null;
    if (job.task === 'single_label') temperature = fitTemperature(logitRows(valLogits, k), truthOf('val').map((t) => t[0]));
    else {
      const valProbabilities = probabilitiesFromLogits(job.task, valLogits, k, 1);
      thresholds = split.val.length > 0 ? tuneThresholds(valProbabilities, truthOf('val').map((t) => indicator(t, k))) : job.labels.map(() => DEFAULT_THRESHOLD);
    }
    plan.resolved.temperature = temperature;
    progress.update('calibrate', 1, 1);

    // ---- evaluate on test ----
    progress.update('evaluate', 0, 1, { message: 'scoring the test split' });
    await yieldToEventLoop();
    const model: ScoringModel = { task: job.task, labels: job.labels, head: arch, weights: fitted.weights, temperature, thresholds };
    const testTexts = split.test.map((i) => all[i].text);
    const rows = scoreRows(model, testFeatures, testTexts);
    const testTruth = truthOf('test');
    rows.forEach((row, j) => {
      const example = all[split.test[j]];
      if (typeof example.id === 'number') row.documentId = example.id;
      row.trueLabels = [...example.labels];
    });
    const probabilities = rows.map((row) => job.labels.map((label) => row.probabilities[label]));
    const predicted = rows.map((row) => row.predicted.map((label) => data.labelIndex.get(label)!));
    const measured = evaluate(job.task, job.labels, testTruth, probabilities, predicted, thresholds, tune.bootstrapIterations, settings.seed);
    const metrics: RunMetrics = {
      task: job.task,
      labels: [...job.labels],
      ...measured,
      thresholds: thresholds ? Object.fromEntries(job.labels.map((label, c) => [label, thresholds![c]])) : undefined,
      strategy: plan.resolved,
      n_train: split.train.length,
      n_val: split.val.length,
      n_test: split.test.length,
      ...(data.synthetic.used + data.synthetic.droppedForLeakage > 0 ? { synthetic: data.synthetic } : {}),
      seconds: { embed: embedSeconds, train: trainSeconds, eval: 0 },
    };
    if (!thresholds) delete metrics.thresholds;
    if (job.task !== 'single_label') delete metrics.confusion_matrix;

    await writeModelFiles(job.modelDir, {
      manifest: {
        format: 'finetune-model-v1',
        task: job.task,
        labels: [...job.labels],
        encoder: { spec: job.encoder, options: job.encoderOptions ?? {}, id: encoder.id, dim: encoder.dim },
        head: arch,
        temperature,
        thresholds,
        strategy: plan.resolved,
        createdAt: new Date().toISOString(),
      },
      weights: fitted.weights,
      lexical: lexicalRecipe,
    });
    metrics.seconds.eval = (Date.now() - evalStart) / 1000;
    progress.update('evaluate', 1, 1);
    progress.update('done', 1, 1, { message: `test macro-F1 ${metrics.f1_macro.toFixed(3)}` });
    const idsOf = (rowsOfPart: number[]) => rowsOfPart.map((i) => all[i].id);
    return {
      metrics,
      split: { seed: settings.seed, train: idsOf(split.train), val: idsOf(split.val), test: idsOf(split.test) },
      predictions: rows,
      history: fitted.history,
      modelDir: job.modelDir,
    };
  } catch (error) {
    // Whatever was interrupted (embedding, a training step), a cancelled run always ends in an AbortError.
    if (signal?.aborted) throw abortError();
    throw error;
  } finally {
    progress.stop();
    cache?.close();
    tokenCache?.close();
    await encoder?.dispose();
  }
}
