// Loading a trained model folder and predicting. The scoring functions here are also what the trainer uses for
// validation and test, so loadPredictor reproduces training-time probabilities exactly for the same embeddings.
import type { PredictionRow, TaskKind } from '../../../shared/domain.js';
import { DEFAULT_THRESHOLD, sigmoid, softmax } from '../../../shared/calibration.js';
import { decideByRule, type DecisionRule } from '../../../shared/decision.js';
import { loadEncoder, type LoadEncoderOptions } from '../encoders/index.js';
import { confidenceOf } from './decision-policy.js';
import { initTensorflow } from '../tf/backend.js';
import { headLogits, type FeatureSet, type HeadArchitecture, type HeadWeights } from './heads.js';
import { throwIfAborted } from '../cancel.js';
import { columnLookup, transformLexical, type SparseRows } from './lexical.js';
import { readModelFiles } from './model-files.js';
import { tokenizeFull } from './token-cache.js';
import { pairFeatures, pairTokenIds } from './pairs.js';

export interface Predictor {
  task: TaskKind;
  labels: string[];
  /** True for a sentence-pair model, whose predict needs `pairs` (the second text of each input). */
  pairs?: boolean;
  predict(texts: string[], onProgress?: (p: { done: number; total: number }) => void, signal?: AbortSignal, pairs?: string[]): Promise<PredictionRow[]>;
  dispose(): Promise<void>;
}

/** Packs embeddings into the contiguous block the head reads. */
export function buildFeatures(embeddings: Float32Array[], dim: number, lexical?: SparseRows): FeatureSet {
  const dense = new Float32Array(embeddings.length * dim);
  embeddings.forEach((e, i) => {
    if (e.length !== dim) throw new Error(`features: embedding ${i} has ${e.length} values, expected ${dim}`);
    dense.set(e, i * dim);
  });
  return { n: embeddings.length, dense, lexical };
}

/** Row-wise probabilities: softmax(logits / T + β) for single-label, sigmoid(logits / T + β) per class for multi-label. */
export function probabilitiesFromLogits(task: TaskKind, logits: Float64Array, classes: number, temperature: number, bias?: ArrayLike<number> | null): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < logits.length / classes; i++) {
    const scaled = Array.from(logits.subarray(i * classes, (i + 1) * classes), (z, c) => z / temperature + (bias ? bias[c] : 0));
    rows.push(task === 'single_label' ? softmax(scaled) : scaled.map(sigmoid));
  }
  return rows;
}

/**
 * Predicted class indices per row. Single-label: the model's decision rule (argmax_k scale_k · p_k − shift_k;
 * plain argmax without one). Multi-label: every class reaching its threshold.
 */
export function decide(task: TaskKind, probabilities: number[][], thresholds: number[] | null, rule?: DecisionRule | null): number[][] {
  return probabilities.map((row) => {
    if (task === 'single_label') return [decideByRule(row, rule ?? null)];
    return row.flatMap((p, c) => (p >= (thresholds?.[c] ?? DEFAULT_THRESHOLD) ? [c] : []));
  });
}

export interface ScoringModel {
  task: TaskKind;
  labels: string[];
  head: HeadArchitecture;
  weights: HeadWeights;
  temperature: number;
  calibrationBias?: number[] | null;
  thresholds: number[] | null;
  decisionRule?: DecisionRule | null;
  reviewBelow?: number | null;
}

export function scoreRows(model: ScoringModel, features: FeatureSet, texts: string[]): PredictionRow[] {
  const probabilities = probabilitiesFromLogits(model.task, headLogits(model.head, model.weights, features), model.labels.length, model.temperature, model.calibrationBias);
  const predicted = decide(model.task, probabilities, model.thresholds, model.decisionRule);
  return texts.map((text, i) => ({
    text,
    predicted: predicted[i].map((c) => model.labels[c]),
    probabilities: Object.fromEntries(model.labels.map((label, c) => [label, probabilities[i][c]])),
    ...(model.reviewBelow && confidenceOf(model.task, probabilities[i]) < model.reviewBelow ? { needsReview: true } : {}),
  }));
}

/** encoderOptions override the saved ones where they do not change the vectors (e.g. backend 'tfjs' vs 'onnx'). */
export async function loadPredictor(modelDir: string, encoderOptions: LoadEncoderOptions = {}): Promise<Predictor> {
  // A fine-tuned model carries its own encoder weights (transformer/saved-model.ts).
  const fineTuned = await import('./transformer/saved-model.js');
  const manifestOfFineTuned = await fineTuned.readFineTunedManifest(modelDir).catch(() => null);
  if (manifestOfFineTuned) return fineTuned.loadFineTunedPredictor(modelDir, manifestOfFineTuned);
  const { manifest, weights, lexical } = await readModelFiles(modelDir);
  await initTensorflow();
  const encoder = await loadEncoder(manifest.encoder.spec, { ...manifest.encoder.options, ...encoderOptions });
  if (encoder.id !== manifest.encoder.id) {
    await encoder.dispose();
    throw new Error(`model ${modelDir}: trained with encoder '${manifest.encoder.id}', but '${manifest.encoder.spec}' now loads '${encoder.id}'; retrain the model`);
  }
  const lookup = lexical ? columnLookup(lexical) : null;
  const model: ScoringModel = {
    task: manifest.task,
    labels: manifest.labels,
    head: manifest.head,
    weights,
    temperature: manifest.temperature,
    calibrationBias: manifest.calibrationBias,
    thresholds: manifest.thresholds,
    decisionRule: manifest.decisionRule,
    reviewBelow: manifest.reviewBelow,
  };
  return {
    task: manifest.task,
    labels: manifest.labels,
    pairs: manifest.pairs === true,
    async predict(texts, onProgress, signal, pairs) {
      if (manifest.pairs && (!pairs || pairs.length !== texts.length)) throw new Error(`model ${modelDir}: a sentence-pair model needs the second text of every input (predict --pair-col)`);
      const both = manifest.pairs ? [...texts, ...pairs!] : texts;
      if (manifest.crossEncoder && !encoder.embedPairs) throw new Error(`model ${modelDir}: its encoder read each pair as one input, and '${manifest.encoder.spec}' cannot`);
      let embeddings = manifest.crossEncoder ? await encoder.embedPairs!(texts, pairs!, onProgress, signal) : await encoder.embed(both, onProgress, signal);
      throwIfAborted(signal);
      let ids = lexical && lookup ? await tokenizeFull(encoder, both) : null;
      if (manifest.pairs) {
        if (!manifest.crossEncoder) embeddings = texts.map((_, i) => pairFeatures(embeddings[i], embeddings[texts.length + i]));
        ids = ids && texts.map((_, i) => pairTokenIds(ids![i], ids![texts.length + i]));
      }
      const sparse = lexical && lookup && ids ? transformLexical(lexical, ids, lookup) : undefined;
      return scoreRows(model, buildFeatures(embeddings, manifest.encoder.dim, sparse), texts);
    },
    dispose: () => encoder.dispose(),
  };
}
