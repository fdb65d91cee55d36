// The fine-tuning loop: mini-batches bucketed by length, the strategy's loss (weighted or focal, from losses.ts),
// gradient accumulation, AdamW with warm-up and decay, early stopping on the validation split's macro-F1 with
// the best epoch's weights restored. Progress carries an ETA from measured step times; the signal cancels
// between micro-batches.
import type * as tfTypes from '@tensorflow/tfjs';
import { DEFAULT_FINE_TUNE_EPOCHS, type TaskKind } from '../../../../shared/domain.js';
import { macroF1 } from '../../../../shared/metrics.js';
import { createRng, shuffleInPlace } from '../../../../shared/random.js';
import { throwIfAborted } from '../../cancel.js';
import { yieldToEventLoop } from '../../event-loop.js';
import type { TfRuntime } from '../../tf/backend.js';
import { decideRow } from '../agent/scoring.js';
import { lossFromLogits, type LossSpec } from '../losses.js';
import { AdamW, DEFAULT_ADAMW, type AdamWSettings } from './adamw.js';
import { disposeBatch, lengthBucketedBatches, scoringBatches, toBatch } from './batches.js';
import { loadCheckpoint, saveCheckpoint, trainingFingerprint } from './resume.js';
import type { TransformerTokenizer } from './hf-folder.js';
import type { Depth, TrainableClassifier } from './trainable.js';

type Tf = TfRuntime['tf'];

export interface FineTuneSettings {
  depth: Depth;
  epochs: number;
  batchSize: number;
  /** Micro-batches per optimiser step (effective batch = batchSize × accumulate). */
  accumulate: number;
  warmupRatio: number;
  /** Epochs without a better validation macro-F1 before stopping. */
  patience: number;
  seed: number;
  optimizer: Partial<Omit<AdamWSettings, 'warmupSteps' | 'totalSteps'>>;
  /** Dropout while training (the config's rates); off makes a step deterministic, for tests. */
  dropout: boolean;
  /** Depth 'contrastive': document pairs to tune on (default contrastive.ts's). */
  pairs?: number;
  /** Where each finished epoch is kept (resume.ts); with `resume`, a matching checkpoint there is continued. */
  checkpoint?: { dir: string; resume: boolean };
}

export const DEFAULT_FINE_TUNE: FineTuneSettings = {
  depth: { kind: 'top', layers: 1 },
  epochs: DEFAULT_FINE_TUNE_EPOCHS,
  batchSize: 16,
  accumulate: 1,
  warmupRatio: 0.1,
  patience: 1,
  seed: 42,
  optimizer: {},
  dropout: true,
};

export interface FineTuneData {
  task: TaskKind;
  classes: number;
  train: { ids: number[][]; targets: number[][]; repeats?: number[] };
  val: { ids: number[][]; targets: number[][] };
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  valMacroF1: number;
  seconds: number;
}

export interface FineTuneOutcome {
  history: EpochRecord[];
  bestEpoch: number;
  steps: number;
  secondsPerStep: number;
  /** The epoch a checkpoint was resumed after, or why none was (when resuming was asked for). */
  resumed?: { afterEpoch: number } | { reason: string };
}

export interface FineTuneProgress {
  epoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  etaSeconds: number | null;
  valMacroF1?: number;
}

function targetsTensor(tf: Tf, targets: number[][], classes: number): tfTypes.Tensor2D {
  const values = new Float32Array(targets.length * classes);
  targets.forEach((row, i) => row.forEach((c) => (values[i * classes + c] = 1)));
  return tf.tensor2d(values, [targets.length, classes]);
}

/** Loss and gradients of one micro-batch, for the given variables. */
export function batchGradients(tf: Tf, model: TrainableClassifier, loss: LossSpec, ids: number[][], targets: number[][], variables: tfTypes.Variable[], padId: number, dropoutSeed: number | null): { loss: number; grads: tfTypes.Tensor[] } {
  const batch = toBatch(tf, ids, padId);
  const y = targetsTensor(tf, targets, model.classes);
  try {
    const { value, grads } = tf.variableGrads(
      () => lossFromLogits(tf, loss, model.logits(batch, dropoutSeed === null ? 0 : 1, dropoutSeed ?? 0), y),
      variables,
    );
    const lossValue = value.dataSync()[0];
    value.dispose();
    return { loss: lossValue, grads: variables.map((v) => grads[v.name]) };
  } finally {
    disposeBatch(batch);
    y.dispose();
  }
}

/** The loss of one batch without gradients (dropout off). */
export function batchLoss(tf: Tf, model: TrainableClassifier, loss: LossSpec, ids: number[][], targets: number[][], padId: number): number {
  const batch = toBatch(tf, ids, padId);
  const y = targetsTensor(tf, targets, model.classes);
  try {
    return tf.tidy(() => lossFromLogits(tf, loss, model.logits(batch), y).dataSync()[0]);
  } finally {
    disposeBatch(batch);
    y.dispose();
  }
}

/** Logits for each sequence, in input order. */
export async function scoreSequences(tf: Tf, model: TrainableClassifier, ids: number[][], padId: number, batchSize = 32, signal?: AbortSignal): Promise<Float32Array[]> {
  const out = new Array<Float32Array>(ids.length);
  for (const rows of scoringBatches(ids.map((s) => s.length), batchSize)) {
    throwIfAborted(signal);
    const batch = toBatch(tf, rows.map((i) => ids[i]), padId);
    const logits = tf.tidy(() => model.logits(batch));
    const values = (await logits.data()) as Float32Array;
    rows.forEach((row, j) => (out[row] = values.slice(j * model.classes, (j + 1) * model.classes)));
    logits.dispose();
    disposeBatch(batch);
    await yieldToEventLoop();
  }
  return out;
}

export function validationMacroF1(task: TaskKind, classes: number, targets: number[][], logits: Float32Array[]): number {
  // The same argmax / σ ≥ 0.5 decisions the strategy search scores.
  const predicted = logits.map((row) => decideRow(task, row, null));
  return task === 'multi_label' ? macroF1(targets, predicted, classes) : macroF1(targets.map((t) => t[0]), predicted.map((p) => p[0]), classes);
}

export async function fineTune(
  tf: Tf,
  model: TrainableClassifier,
  tokenizer: Pick<TransformerTokenizer, 'padId'>,
  data: FineTuneData,
  loss: LossSpec,
  settings: FineTuneSettings,
  onProgress: (p: FineTuneProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<FineTuneOutcome> {
  const variables = model.trainable(settings.depth);
  const rng = createRng(settings.seed);
  // Oversampling repeats an example in each epoch's order.
  const baseOrder = data.train.ids.flatMap((_, i) => new Array<number>(data.train.repeats?.[i] ?? 1).fill(i));
  const batchesPerEpoch = Math.ceil(baseOrder.length / settings.batchSize);
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / settings.accumulate);
  const totalSteps = stepsPerEpoch * settings.epochs;
  const optimizer = new AdamW(tf, variables.map((variable) => ({ variable, head: model.isHead(variable), decays: model.decays(variable) })), {
    ...DEFAULT_ADAMW,
    ...settings.optimizer,
    warmupSteps: Math.round(totalSteps * settings.warmupRatio),
    totalSteps,
  });
  const lengths = data.train.ids.map((s) => s.length);
  const history: EpochRecord[] = [];
  let best = { epoch: 0, score: -Infinity, weights: null as Float32Array[] | null };
  let stepSeconds = 0;
  let microBatches = 0;
  let firstEpoch = 1;
  let resumed: FineTuneOutcome['resumed'];
  const { checkpoint: keep, ...recipe } = settings;
  const fingerprint = trainingFingerprint({ recipe, loss, ids: data.train.ids, targets: data.train.targets, repeats: data.train.repeats ?? null, val: data.val.ids.length });
  try {
    if (keep?.resume) {
      const saved = await loadCheckpoint(keep.dir, variables, fingerprint);
      if (typeof saved === 'string') resumed = { reason: saved };
      else {
        tf.tidy(() => saved.weights.forEach((w, i) => variables[i].assign(tf.tensor(w, variables[i].shape))));
        optimizer.restore(saved.optimizer);
        history.push(...saved.history);
        best = { ...saved.best, weights: saved.bestWeights };
        ({ microBatches, stepSeconds } = saved);
        // The data order of the finished epochs, drawn again so the next epochs get the order they would have had.
        for (let e = 1; e <= saved.epoch; e++) lengthBucketedBatches(shuffleInPlace([...baseOrder], rng), lengths, settings.batchSize, rng);
        firstEpoch = saved.epoch + 1;
        resumed = { afterEpoch: saved.epoch };
      }
    }
    for (let epoch = firstEpoch; epoch <= settings.epochs; epoch++) {
      const started = Date.now();
      const batches = lengthBucketedBatches(shuffleInPlace([...baseOrder], rng), lengths, settings.batchSize, rng);
      let lossSum = 0;
      let pending: tfTypes.Tensor[] | null = null;
      let inPending = 0;
      for (let b = 0; b < batches.length; b++) {
        throwIfAborted(signal);
        const stepStart = Date.now();
        const rows = batches[b];
        const { loss: value, grads } = batchGradients(tf, model, loss, rows.map((i) => data.train.ids[i]), rows.map((i) => data.train.targets[i]), variables, tokenizer.padId, settings.dropout ? settings.seed * 100_003 + microBatches : null);
        microBatches += 1;
        lossSum += value * rows.length;
        if (pending) {
          const summed: tfTypes.Tensor[] = pending.map((p, i) => tf.add(p, grads[i]));
          pending.forEach((p) => p.dispose());
          grads.forEach((g) => g.dispose());
          pending = summed;
        } else pending = grads;
        inPending += 1;
        if (inPending === settings.accumulate || b === batches.length - 1) {
          const averaged = inPending === 1 ? pending : pending.map((g) => tf.div(g, inPending));
          optimizer.apply(averaged);
          if (averaged !== pending) averaged.forEach((g) => g.dispose());
          pending.forEach((g) => g.dispose());
          pending = null;
          inPending = 0;
        }
        // The mean of measured micro-batch times; ETA covers the remaining batches and validation passes roughly.
        stepSeconds += (Date.now() - stepStart) / 1000;
        const remaining = (settings.epochs - epoch) * batches.length + (batches.length - b - 1);
        onProgress({ epoch, step: optimizer.steps, totalSteps, loss: lossSum / ((b + 1) * settings.batchSize), etaSeconds: remaining * (stepSeconds / microBatches) });
        await yieldToEventLoop();
      }
      const valLogits = await scoreSequences(tf, model, data.val.ids, tokenizer.padId, 32, signal);
      const score = data.val.ids.length > 0 ? validationMacroF1(data.task, data.classes, data.val.targets, valLogits) : 0;
      history.push({ epoch, loss: lossSum / Math.max(1, baseOrder.length), valMacroF1: score, seconds: (Date.now() - started) / 1000 });
      onProgress({ epoch, step: optimizer.steps, totalSteps, loss: history.at(-1)!.loss, etaSeconds: (settings.epochs - epoch) * (stepSeconds / microBatches) * batches.length, valMacroF1: score });
      if (score > best.score) {
        best = { epoch, score, weights: variables.map((v) => v.dataSync() as Float32Array).map((w) => Float32Array.from(w)) };
      } else if (epoch - best.epoch >= settings.patience) {
        break;
      }
      if (keep && epoch < settings.epochs) {
        await saveCheckpoint(keep.dir, {
          fingerprint, epoch, history, best: { epoch: best.epoch, score: best.score }, microBatches, stepSeconds,
          optimizer: optimizer.snapshot(), weights: variables.map((v) => Float32Array.from(v.dataSync() as Float32Array)), bestWeights: best.weights,
        });
      }
    }
    if (best.weights && best.epoch !== history.length) {
      const weights = best.weights;
      tf.tidy(() => weights.forEach((w, i) => variables[i].assign(tf.tensor(w, variables[i].shape))));
    }
    return { history, bestEpoch: best.epoch, steps: optimizer.steps, secondsPerStep: stepSeconds / Math.max(1, microBatches), ...(resumed ? { resumed } : {}) };
  } finally {
    optimizer.dispose();
  }
}
