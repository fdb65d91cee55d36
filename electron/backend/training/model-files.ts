// The trained model folder: manifest.json (everything but the numbers), weights.bin (float32, little-endian,
// tensors back to back at the offsets the manifest lists) and, with lexical features, lexical.json (lexical.ts).
// loadPredictor and the ONNX export both read it through readModelFiles.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DecisionRule } from '../../../shared/decision.js';
import type { ResolvedStrategy, TaskKind } from '../../../shared/domain.js';
import type { LoadEncoderOptions } from '../encoders/index.js';
import type { HeadArchitecture, HeadWeights } from './heads.js';
import type { LexicalRecipe } from './lexical.js';

export const MODEL_FORMAT = 'finetune-model-v1';
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';
export const LEXICAL_FILE = 'lexical.json';

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  task: TaskKind;
  /** Output order of the head. */
  labels: string[];
  encoder: {
    /** What loadEncoder takes: 'use-lite' or 'hf:<folder>'. */
    spec: string;
    /** What loadEncoder takes as options (window length, long-document mode). */
    options: LoadEncoderOptions;
    /** The encoder's identity; a different id means different embeddings, and the head would be meaningless. */
    id: string;
    /** Width of the head's dense input: the encoder's output, or for a pair model PAIR_WIDTH_FACTOR times it. */
    dim: number;
  };
  /** A sentence-pair model: each input is two texts (pairs.ts). */
  pairs?: boolean;
  /** A pair model whose encoder read both texts as one input (a Hugging Face cross-encoder), not [u, v, |u − v|, u ∘ v]. */
  crossEncoder?: boolean;
  head: HeadArchitecture;
  weights: { file: string; dtype: 'float32'; byteOrder: 'little-endian'; tensors: Array<{ name: string; shape: number[]; byteOffset: number }> };
  /** lexical.json when the head takes TF-IDF features, else null. */
  lexicalFile: string | null;
  /** Probabilities are softmax(logits / T + β) (single-label) or sigmoid(logits / T + β) (multi-label). */
  temperature: number;
  /** β of the line above, in label order (absent in models from before it existed: zeros). */
  calibrationBias?: number[];
  /** Multi-label: per-class thresholds in label order (predict a label when p >= its threshold). */
  thresholds: number[] | null;
  /** Single-label: predict argmax_k (scale_k · p_k − shift_k) (shared/decision.ts; absent or null: plain argmax). */
  decisionRule?: DecisionRule | null;
  /** With a review budget: predictions less confident than this are marked for a person (decision-policy.ts). */
  reviewBelow?: number | null;
  strategy: ResolvedStrategy;
  createdAt: string;
}

export interface ModelFiles {
  manifest: ModelManifest;
  weights: HeadWeights;
  lexical: LexicalRecipe | null;
}

/** Writes the folder; `manifest.weights` and `lexicalFile` are filled in here. */
export async function writeModelFiles(dir: string, model: { manifest: Omit<ModelManifest, 'weights' | 'lexicalFile'>; weights: HeadWeights; lexical: LexicalRecipe | null }): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors: ModelManifest['weights']['tensors'] = [];
  let byteOffset = 0;
  for (const [name, w] of Object.entries(model.weights)) {
    tensors.push({ name, shape: w.shape, byteOffset });
    byteOffset += w.values.length * 4;
  }
  const bytes = Buffer.alloc(byteOffset);
  for (const t of tensors) {
    const values = model.weights[t.name].values;
    for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i], t.byteOffset + i * 4);
  }
  const manifest: ModelManifest = {
    ...model.manifest,
    weights: { file: WEIGHTS_FILE, dtype: 'float32', byteOrder: 'little-endian', tensors },
    lexicalFile: model.lexical ? LEXICAL_FILE : null,
  };
  await writeFile(path.join(dir, WEIGHTS_FILE), bytes);
  // A folder re-used for a run without lexical features must not keep a stale lexical.json.
  if (model.lexical) await writeFile(path.join(dir, LEXICAL_FILE), JSON.stringify(model.lexical));
  else await rm(path.join(dir, LEXICAL_FILE), { force: true });
  await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
}

async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`model: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`model: ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const manifest = await readJson<ModelManifest>(manifestPath);
  if (manifest.format !== MODEL_FORMAT) {
    throw new Error(`model: ${manifestPath} has format '${String(manifest.format)}', expected '${MODEL_FORMAT}' (is this a Finetune model folder?)`);
  }
  const weightsPath = path.join(dir, manifest.weights.file);
  const bytes = await readFile(weightsPath).catch((error: Error) => {
    throw new Error(`model: cannot read ${weightsPath}: ${error.message}`);
  });
  const weights: HeadWeights = {};
  for (const t of manifest.weights.tensors) {
    const length = t.shape.reduce((a, b) => a * b, 1);
    if (t.byteOffset + length * 4 > bytes.length) throw new Error(`model: ${weightsPath} is truncated (tensor '${t.name}' needs bytes up to ${t.byteOffset + length * 4}, file has ${bytes.length})`);
    const values = new Float32Array(length);
    for (let i = 0; i < length; i++) values[i] = bytes.readFloatLE(t.byteOffset + i * 4);
    weights[t.name] = { shape: t.shape, values };
  }
  const lexical = manifest.lexicalFile ? await readJson<LexicalRecipe>(path.join(dir, manifest.lexicalFile)) : null;
  return { manifest, weights, lexical };
}
