// The folder of a fine-tuned model: manifest.json (format finetune-transformer-v1: labels, calibration, decision
// rule, how it was trained) beside the weights — a Hugging Face *ForSequenceClassification folder in hf/ (loads
// in Python with AutoModelForSequenceClassification), or USE-lite's variables in use-lite.safetensors.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PredictionRow, ResolvedStrategy, TaskKind } from '../../../../shared/domain.js';
import type { DecisionRule } from '../../../../shared/decision.js';
import { loadEncoder } from '../../encoders/index.js';
import { initTensorflow, type TfRuntime } from '../../tf/backend.js';
import { throwIfAborted } from '../../cancel.js';
import type { Predictor } from '../predictor.js';
import { decide, probabilitiesFromLogits } from '../predictor.js';
import type { EpochRecord } from './fine-tune.js';
import { scoreSequences } from './fine-tune.js';
import { loadTransformerClassifier, loadTransformerTokenizer, readTransformerFolder } from './hf-folder.js';
import { readSafetensors, type TensorMap } from './safetensors.js';
import type { TrainableClassifier } from './trainable.js';
import { UseLiteClassifier } from './use-lite-trainable.js';

export const FINE_TUNED_FORMAT = 'finetune-transformer-v1';
export const HF_FOLDER = 'hf';
export const USE_LITE_WEIGHTS = 'use-lite.safetensors';
/** USE-lite's position limit: fine-tuning clips texts to their first 128 ids, as the frozen encoder does. */
export const USE_LITE_TOKENS = 128;

export interface FineTunedManifest {
  format: typeof FINE_TUNED_FORMAT;
  task: TaskKind;
  labels: string[];
  /** 'use-lite' or 'hf:<folder it started from>'. */
  encoderSpec: string;
  encoderId: string;
  depth: string;
  maxLength: number;
  /** Where the weights are, relative to the folder: hf/ or use-lite.safetensors. */
  weights: string;
  temperature: number;
  calibrationBias: number[];
  thresholds: number[] | null;
  decisionRule: DecisionRule | null;
  strategy: ResolvedStrategy;
  fineTune: { history: EpochRecord[]; bestEpoch: number; secondsPerMicroBatch: number };
  createdAt: string;
}

/** `writeWeights` puts the weights at the path the manifest names (hf/ for a transformer, a file for USE-lite). */
export async function saveFineTunedModel(dir: string, manifest: Omit<FineTunedManifest, 'format' | 'createdAt'>, writeWeights: (target: string) => Promise<void>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeWeights(path.join(dir, manifest.weights));
  const full: FineTunedManifest = { format: FINE_TUNED_FORMAT, ...manifest, createdAt: new Date().toISOString() };
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(full, null, 2));
}

export function useLiteTensors(model: TrainableClassifier): TensorMap {
  return new Map([...model.params].map(([name, v]) => [name, { shape: [...v.shape], data: Float32Array.from(v.dataSync()) }]));
}

export async function readFineTunedManifest(dir: string): Promise<FineTunedManifest | null> {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { format?: string };
  return manifest.format === FINE_TUNED_FORMAT ? (manifest as FineTunedManifest) : null;
}

interface LoadedBody {
  model: TrainableClassifier;
  tokenize(texts: string[]): Promise<number[][]>;
  padId: number;
  dispose(): Promise<void>;
}

async function loadBody(tf: TfRuntime['tf'], dir: string, manifest: FineTunedManifest): Promise<LoadedBody> {
  const classes = manifest.labels.length;
  if (manifest.encoderSpec === 'use-lite') {
    const model = UseLiteClassifier.fromTensors(tf, classes, await readSafetensors(path.join(dir, manifest.weights)));
    const encoder = await loadEncoder('use-lite', { maxTokens: USE_LITE_TOKENS, longDocs: 'truncate' });
    return {
      model,
      padId: 0,
      tokenize: async (texts) => (await encoder.tokenize(texts)).map((s) => (s.length > 0 ? s.slice(0, manifest.maxLength) : [0])),
      dispose: async () => {
        model.dispose();
        await encoder.dispose();
      },
    };
  }
  const source = await readTransformerFolder(path.join(dir, manifest.weights));
  const tokenizer = await loadTransformerTokenizer(source, manifest.maxLength);
  const { model } = await loadTransformerClassifier(tf, source, classes, 0);
  return { model, padId: tokenizer.padId, tokenize: async (texts) => texts.map(tokenizer.encode), dispose: async () => model.dispose() };
}

/** Predicts with a fine-tuned model folder exactly as its run scored the test split. */
export async function loadFineTunedPredictor(dir: string, manifest: FineTunedManifest): Promise<Predictor> {
  const { tf } = await initTensorflow();
  const body = await loadBody(tf, dir, manifest);
  const K = manifest.labels.length;
  return {
    task: manifest.task,
    labels: manifest.labels,
    async predict(texts, onProgress, signal): Promise<PredictionRow[]> {
      const ids = await body.tokenize(texts);
      throwIfAborted(signal);
      const logits = await scoreSequences(tf, body.model, ids, body.padId, 32, signal);
      onProgress?.({ done: texts.length, total: texts.length });
      const flat = new Float64Array(texts.length * K);
      logits.forEach((row, i) => flat.set(row, i * K));
      const probabilities = probabilitiesFromLogits(manifest.task, flat, K, manifest.temperature, manifest.calibrationBias);
      const predicted = decide(manifest.task, probabilities, manifest.thresholds, manifest.decisionRule);
      return texts.map((text, i) => ({
        text,
        predicted: predicted[i].map((c) => manifest.labels[c]),
        probabilities: Object.fromEntries(manifest.labels.map((label, c) => [label, probabilities[i][c]])),
      }));
    },
    dispose: () => body.dispose(),
  };
}
