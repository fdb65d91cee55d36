// Contrastive tuning of the body for few labels, as SetFit does: pairs of documents from the same class (target
// similarity 1) and from different classes (0), the cosine similarity of their sentence vectors pulled towards
// the target (mean squared error), then a head fitted on the tuned vectors. Anchors are drawn class by class, so
// a rare class is in as many pairs as a common one.
import type * as tfTypes from '@tensorflow/tfjs';
import { createRng } from '../../../../shared/random.js';
import { throwIfAborted } from '../../cancel.js';
import { yieldToEventLoop } from '../../event-loop.js';
import type { TfRuntime } from '../../tf/backend.js';
import type { LossSpec } from '../losses.js';
import { AdamW, DEFAULT_ADAMW, type AdamWSettings } from './adamw.js';
import { disposeBatch, scoringBatches, toBatch } from './batches.js';
import { scoreSequences, validationMacroF1, type FineTuneData, type FineTuneOutcome, type FineTuneProgress, type FineTuneSettings } from './fine-tune.js';
import { fitLinearProbe } from './linear-probe.js';
import type { EncodedBatch, TrainableClassifier } from './trainable.js';
import type { LinearHeadInit } from './use-lite-trainable.js';

type Tf = TfRuntime['tf'];

/** SetFit's default: 20 positive and 20 negative pairs per training document… */
const PAIRS_PER_DOCUMENT = 40;
/** …capped, because each pair step runs two batches through the body on a CPU. */
const DEFAULT_MAX_PAIRS = 640;

/** A body whose unit-length sentence vectors can be tuned (the shipped USE-lite). */
export interface SentenceEncoder extends TrainableClassifier {
  sentenceVectors(batch: EncodedBatch, dropout?: number, seed?: number): tfTypes.Tensor2D;
}

export interface ContrastivePair {
  left: number;
  right: number;
  /** 1: the same label set; 0: different ones. */
  similar: 0 | 1;
}

/** Contrastive tuning needs a sentence encoder: the shipped USE-lite (a Hugging Face classifier pools its first token). */
export function checkContrastiveEncoder(encoder: string): void {
  if (encoder !== 'use-lite') throw new Error(`depth contrastive tunes a sentence encoder and works with the shipped USE-lite; for ${encoder} use depth top-k or full`);
}

export function contrastivePairCount(trainDocuments: number, requested?: number): number {
  return requested ?? Math.min(DEFAULT_MAX_PAIRS, PAIRS_PER_DOCUMENT * trainDocuments);
}

/**
 * Alternating similar and dissimilar pairs. Each anchor's group (its label set) is drawn uniformly among the
 * groups that can form the pair, then the anchor and its partner uniformly within their groups.
 */
export function contrastivePairs(labelSets: number[][], count: number, seed: number): ContrastivePair[] {
  const groups = new Map<string, number[]>();
  labelSets.forEach((labels, i) => {
    const key = [...labels].sort((a, b) => a - b).join(',');
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const members = [...groups.values()];
  if (members.length < 2) throw new Error('contrastive tuning needs training documents of at least two different classes');
  const withPairs = members.filter((m) => m.length >= 2);
  const rng = createRng(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(rng() * items.length)];
  const pairs: ContrastivePair[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0 && withPairs.length > 0) {
      const group = pick(withPairs);
      const left = pick(group);
      let right = pick(group);
      while (right === left) right = pick(group);
      pairs.push({ left, right, similar: 1 });
    } else {
      const g = Math.floor(rng() * members.length);
      let h = Math.floor(rng() * (members.length - 1));
      if (h >= g) h += 1;
      pairs.push({ left: pick(members[g]), right: pick(members[h]), similar: 0 });
    }
  }
  return pairs;
}

export interface ContrastiveSettings {
  batchSize: number;
  seed: number;
  warmupRatio: number;
  optimizer: Partial<Omit<AdamWSettings, 'warmupSteps' | 'totalSteps'>>;
  /** Keep the token embeddings as they are. */
  freezeEmbeddings: boolean;
  dropout: boolean;
}

export interface ContrastiveProgress {
  step: number;
  totalSteps: number;
  loss: number;
  etaSeconds: number | null;
}

/** One pass over the pairs; returns the mean loss and the measured seconds per pair batch. */
export async function contrastiveTune(
  tf: Tf,
  model: SentenceEncoder,
  ids: number[][],
  padId: number,
  pairs: ContrastivePair[],
  settings: ContrastiveSettings,
  onProgress: (p: ContrastiveProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<{ loss: number; steps: number; secondsPerStep: number }> {
  // Every body weight learns; the head is fitted afterwards, on the tuned vectors.
  const variables = model.trainable({ kind: 'full', freezeEmbeddings: settings.freezeEmbeddings }).filter((v) => !model.isHead(v));
  const totalSteps = Math.ceil(pairs.length / settings.batchSize);
  const optimizer = new AdamW(tf, variables.map((variable) => ({ variable, head: false, decays: model.decays(variable) })), {
    ...DEFAULT_ADAMW,
    ...settings.optimizer,
    warmupSteps: Math.round(totalSteps * settings.warmupRatio),
    totalSteps,
  });
  let lossSum = 0;
  let seconds = 0;
  try {
    for (let step = 0; step < totalSteps; step++) {
      throwIfAborted(signal);
      const started = Date.now();
      const chunk = pairs.slice(step * settings.batchSize, (step + 1) * settings.batchSize);
      const left = toBatch(tf, chunk.map((p) => ids[p.left]), padId);
      const right = toBatch(tf, chunk.map((p) => ids[p.right]), padId);
      const target = tf.tensor1d(chunk.map((p) => p.similar));
      const dropout = settings.dropout ? 1 : 0;
      try {
        const { value, grads } = tf.variableGrads(() => {
          const cosine = tf.sum(tf.mul(model.sentenceVectors(left, dropout, settings.seed + 2 * step), model.sentenceVectors(right, dropout, settings.seed + 2 * step + 1)), 1);
          return tf.mean(tf.square(tf.sub(cosine, target))) as tfTypes.Scalar;
        }, variables);
        lossSum += value.dataSync()[0] * chunk.length;
        value.dispose();
        const ordered = variables.map((v) => grads[v.name]);
        optimizer.apply(ordered);
        ordered.forEach((g) => g.dispose());
      } finally {
        disposeBatch(left);
        disposeBatch(right);
        target.dispose();
      }
      seconds += (Date.now() - started) / 1000;
      onProgress({ step: step + 1, totalSteps, loss: lossSum / Math.min(pairs.length, (step + 1) * settings.batchSize), etaSeconds: (totalSteps - step - 1) * (seconds / (step + 1)) });
      await yieldToEventLoop();
    }
    return { loss: lossSum / Math.max(1, pairs.length), steps: totalSteps, secondsPerStep: seconds / Math.max(1, totalSteps) };
  } finally {
    optimizer.dispose();
  }
}

/** The (tuned) sentence vectors of each sequence, in input order. */
export async function sentenceVectorsOf(tf: Tf, model: SentenceEncoder, ids: number[][], padId: number, signal?: AbortSignal): Promise<Float32Array[]> {
  const out = new Array<Float32Array>(ids.length);
  for (const rows of scoringBatches(ids.map((s) => s.length), 32)) {
    throwIfAborted(signal);
    const batch = toBatch(tf, rows.map((i) => ids[i]), padId);
    const vectors = tf.tidy(() => model.sentenceVectors(batch));
    const width = vectors.shape[1];
    const values = (await vectors.data()) as Float32Array;
    rows.forEach((row, j) => (out[row] = values.slice(j * width, (j + 1) * width)));
    vectors.dispose();
    disposeBatch(batch);
    await yieldToEventLoop();
  }
  return out;
}

/**
 * The 'contrastive' depth in a run: the body tuned on pairs of training documents, then a linear head fitted on
 * the tuned vectors with the run's loss (class weights or focal), and one record of the validation macro-F1.
 */
export async function tuneContrastively(
  tf: Tf,
  model: SentenceEncoder & { setHead(head: LinearHeadInit): void },
  padId: number,
  data: FineTuneData,
  loss: LossSpec,
  settings: FineTuneSettings & { pairs?: number },
  onProgress: (p: FineTuneProgress) => void,
  signal?: AbortSignal,
): Promise<FineTuneOutcome> {
  const started = Date.now();
  const pairs = contrastivePairs(data.train.targets, contrastivePairCount(data.train.ids.length, settings.pairs), settings.seed);
  const freezeEmbeddings = settings.depth.kind === 'contrastive' && settings.depth.freezeEmbeddings;
  const tuned = await contrastiveTune(tf, model, data.train.ids, padId, pairs, { ...settings, freezeEmbeddings }, (p) => onProgress({ epoch: 1, ...p }), signal);
  const vectors = await sentenceVectorsOf(tf, model, data.train.ids, padId, signal);
  // Oversampling repeats a document for the head too, as it would in an epoch.
  const repeated = data.train.ids.flatMap((_, i) => new Array<number>(data.train.repeats?.[i] ?? 1).fill(i));
  model.setHead(await fitLinearProbe(tf, repeated.map((i) => vectors[i]), repeated.map((i) => data.train.targets[i]), data.classes, loss));
  const valLogits = await scoreSequences(tf, model, data.val.ids, padId, 32, signal);
  const valMacroF1 = data.val.ids.length > 0 ? validationMacroF1(data.task, data.classes, data.val.targets, valLogits) : 0;
  onProgress({ epoch: 1, step: tuned.steps, totalSteps: tuned.steps, loss: tuned.loss, etaSeconds: 0, valMacroF1 });
  return {
    history: [{ epoch: 1, loss: tuned.loss, valMacroF1, seconds: (Date.now() - started) / 1000 }],
    bestEpoch: 1,
    steps: tuned.steps,
    secondsPerStep: tuned.secondsPerStep,
  };
}
