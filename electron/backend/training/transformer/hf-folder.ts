// A Hugging Face model folder as the trainable transformer reads and writes it: config.json, model.safetensors and
// the tokenizer files. What it writes loads in Python with AutoModelForSequenceClassification.from_pretrained.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TaskKind } from '../../../../shared/domain.js';
import type { TfRuntime } from '../../tf/backend.js';
import { hfSpecialTokenLayout, loadHfTokenizer } from '../../encoders/hf.js';
import { readTransformerConfig, sequenceClassificationClass, type TransformerConfig } from './architecture.js';
import { TransformerClassifier, type LoadedWeights } from './model.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export const CHECKPOINT_FILE = 'model.safetensors';
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'merges.txt', 'vocab.json', 'sentencepiece.bpe.model'];

export interface TransformerFolder {
  folder: string;
  config: TransformerConfig;
  /** config.json as written, kept so a saved model carries every field transformers reads. */
  rawConfig: Record<string, unknown>;
}

/** Checks the folder's files and reads its configuration (the weights are read by loadTransformerClassifier). */
export async function readTransformerFolder(folder: string): Promise<TransformerFolder> {
  const absolute = path.resolve(folder);
  const configFile = path.join(absolute, 'config.json');
  if (!existsSync(configFile)) throw new Error(`${absolute}: not a Hugging Face model folder: config.json is missing`);
  if (!existsSync(path.join(absolute, 'tokenizer.json'))) {
    throw new Error(`${absolute}: tokenizer.json is missing (save the tokenizer with tokenizer.save_pretrained(folder); a fast tokenizer writes it)`);
  }
  if (!existsSync(path.join(absolute, CHECKPOINT_FILE))) {
    const pickle = existsSync(path.join(absolute, 'pytorch_model.bin'));
    throw new Error(pickle
      ? `${absolute}: only pytorch_model.bin is there; it is a Python pickle, which is not read (it can run code). Save the model as safetensors: model.save_pretrained(folder, safe_serialization=True)`
      : `${absolute}: ${CHECKPOINT_FILE} is missing`);
  }
  let rawConfig: Record<string, unknown>;
  try {
    rawConfig = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${configFile}: cannot read the model configuration: ${(error as Error).message}`);
  }
  return { folder: absolute, config: readTransformerConfig(rawConfig, configFile), rawConfig };
}

export async function loadTransformerClassifier(tf: TfRuntime['tf'], source: TransformerFolder, classes: number, seed: number): Promise<LoadedWeights> {
  const file = path.join(source.folder, CHECKPOINT_FILE);
  return TransformerClassifier.fromCheckpoint(tf, source.config, await readSafetensors(file), classes, seed, file);
}

/** Writes `model` as a *ForSequenceClassification folder, with the tokenizer files of the folder it came from. */
export async function saveTransformerClassifier(model: TransformerClassifier, source: TransformerFolder, target: string, labels: string[], task: TaskKind): Promise<void> {
  await mkdir(target, { recursive: true });
  await writeSafetensors(path.join(target, CHECKPOINT_FILE), model.toCheckpoint());
  const config = {
    ...source.rawConfig,
    architectures: [sequenceClassificationClass(source.config.family)],
    id2label: Object.fromEntries(labels.map((label, i) => [String(i), label])),
    label2id: Object.fromEntries(labels.map((label, i) => [label, i])),
    problem_type: task === 'multi_label' ? 'multi_label_classification' : 'single_label_classification',
  };
  await writeFile(path.join(target, 'config.json'), JSON.stringify(config, null, 2));
  for (const name of TOKENIZER_FILES) {
    const from = path.join(source.folder, name);
    if (existsSync(from) && path.resolve(from) !== path.resolve(target, name)) await copyFile(from, path.join(target, name));
  }
}

export interface TransformerTokenizer {
  /** Token ids with the special tokens, the text's own ids cut to fit maxLength (as transformers' truncation=True). */
  encode(text: string): number[];
  maxLength: number;
  padId: number;
  /** Special tokens closing each text (kept when a text is cut). */
  trailing: number;
}

export async function loadTransformerTokenizer(source: TransformerFolder, maxLength: number): Promise<TransformerTokenizer> {
  const tokenizer = await loadHfTokenizer(source.folder);
  const layout = hfSpecialTokenLayout(tokenizer);
  const probe = tokenizer.encode('the a');
  const leading = probe.slice(0, layout.leading);
  const trailing = probe.slice(probe.length - layout.trailing);
  const limit = Math.min(maxLength, source.config.maxPositions - (source.config.positionsFromPadding ? source.config.padId + 1 : 0));
  const room = limit - leading.length - trailing.length;
  if (room < 1) throw new Error(`${source.folder}: a maximum length of ${limit} leaves no room for text between the special tokens`);
  return {
    encode: (text) => [...leading, ...tokenizer.encode(text, { add_special_tokens: false }).slice(0, room), ...trailing],
    maxLength: limit,
    padId: source.config.padId,
    trailing: trailing.length,
  };
}
