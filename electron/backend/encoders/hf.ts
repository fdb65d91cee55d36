// Hugging Face BERT-family encoders from a local folder laid out like the Xenova/* models:
//   config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx (outputs last_hidden_state)
// loaded with @huggingface/transformers strictly offline (no remote lookups, no cache writes).
//
// Pooling, in this order of precedence:
//   1. sentence-transformers' 1_Pooling/config.json: pooling_mode_cls_token -> CLS, pooling_mode_mean_tokens -> mean;
//   2. a `finetune_pooling: "mean" | "cls"` field in config.json;
//   3. mean pooling (over the attention mask) by default.
// The vector is L2-normalised when modules.json lists a sentence_transformers Normalize module.
// Long texts: the token ids (with [CLS]/[SEP] as the tokenizer adds them) are clipped to their first maxLength ids,
// maxLength = min(tokenizer_config.model_max_length, config.max_position_embeddings), or opts.maxLength if smaller.
// tokenize() returns the ids of the text itself, without the special tokens the post-processor adds around it, so
// the ids of pieces of a text cut at whitespace join into the ids of the whole text (callers may tokenise long texts
// in pieces). The ONNX export repeats exactly these steps inside its graph (electron/backend/export/), skipping the
// added special tokens (hfSpecialTokenLayout) in its lexical features.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inLengthBatches, padBatch } from '../onnx/batching.js';
import type { EmbedProgress, TextEncoder } from './types.js';
import { layoutSubwords, type SubwordLayout } from '../../../shared/tokens.js';

export type HfPoolingMode = 'mean' | 'cls';

export interface HfEncoderSettings {
  folder: string;
  modelPath: string;
  pooling: HfPoolingMode;
  /** Where the pooling choice came from, for reports. */
  poolingSource: string;
  normalize: boolean;
  maxLength: number;
  padId: number;
  hidden: number;
}

export interface HfEncoderOptions {
  /** Clip token ids to at most this many (never beyond what the model's positions allow). */
  maxLength?: number;
  /** Texts per ONNX run. */
  batchSize?: number;
}

export interface HfTextEncoder extends TextEncoder {
  readonly settings: HfEncoderSettings;
}

const SANE_MAX_LENGTH = 100_000; // tokenizer_config uses 1e30 for "no limit"
/** Characters tokenised per needed id before falling back to the whole text. */
const CHARS_PER_ID_GUESS = 12;
/** WordPiece's max_input_chars_per_word is 100 in BERT tokenizers: a word never yields more pieces. */
const MAX_WORD_PIECES = 100;

async function readJson(file: string, what: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${file}: cannot read the ${what}: ${(error as Error).message}`);
  }
}

async function resolvePooling(folder: string, config: Record<string, unknown>): Promise<{ mode: HfPoolingMode; source: string }> {
  const poolingFile = path.join(folder, '1_Pooling', 'config.json');
  if (existsSync(poolingFile)) {
    const pooling = await readJson(poolingFile, 'sentence-transformers pooling configuration');
    if (pooling.pooling_mode_cls_token === true) return { mode: 'cls', source: '1_Pooling/config.json' };
    if (pooling.pooling_mode_mean_tokens === true) return { mode: 'mean', source: '1_Pooling/config.json' };
    throw new Error(`${poolingFile}: only CLS or mean pooling is supported (set pooling_mode_cls_token or pooling_mode_mean_tokens)`);
  }
  const declared = config.finetune_pooling;
  if (declared !== undefined) {
    if (declared !== 'mean' && declared !== 'cls') {
      throw new Error(`${path.join(folder, 'config.json')}: finetune_pooling must be "mean" or "cls", not ${JSON.stringify(declared)}`);
    }
    return { mode: declared, source: 'config.json finetune_pooling' };
  }
  return { mode: 'mean', source: 'default (mean)' };
}

async function hasNormalizeModule(folder: string): Promise<boolean> {
  const modulesFile = path.join(folder, 'modules.json');
  if (!existsSync(modulesFile)) return false;
  const modules = JSON.parse(await readFile(modulesFile, 'utf8')) as { type?: string }[];
  return Array.isArray(modules) && modules.some((m) => m.type?.endsWith('.Normalize') ?? false);
}

/** Reads how the folder's model is to be run and pooled (the app and the export share this). */
export async function resolveHfEncoderSettings(folder: string, opts: HfEncoderOptions = {}): Promise<HfEncoderSettings> {
  const absolute = path.resolve(folder);
  for (const required of ['config.json', 'tokenizer.json', path.join('onnx', 'model.onnx')]) {
    if (!existsSync(path.join(absolute, required))) {
      throw new Error(`${absolute}: not a Hugging Face ONNX model folder: ${required} is missing (expected the Xenova/* layout)`);
    }
  }
  const config = await readJson(path.join(absolute, 'config.json'), 'model configuration');
  const tokenizerConfigFile = path.join(absolute, 'tokenizer_config.json');
  const tokenizerConfig = existsSync(tokenizerConfigFile) ? await readJson(tokenizerConfigFile, 'tokenizer configuration') : {};
  const limits = [config.max_position_embeddings, tokenizerConfig.model_max_length, opts.maxLength]
    .filter((v): v is number => typeof v === 'number' && v > 0 && v < SANE_MAX_LENGTH);
  const pooling = await resolvePooling(absolute, config);
  return {
    folder: absolute,
    modelPath: path.join(absolute, 'onnx', 'model.onnx'),
    pooling: pooling.mode,
    poolingSource: pooling.source,
    normalize: await hasNormalizeModule(absolute),
    maxLength: limits.length > 0 ? Math.min(...limits) : 512,
    padId: typeof config.pad_token_id === 'number' ? config.pad_token_id : 0,
    hidden: typeof config.hidden_size === 'number' ? config.hidden_size : 0,
  };
}

export type HfTokenizer = Awaited<ReturnType<typeof import('@huggingface/transformers').AutoTokenizer.from_pretrained>>;

/** Loads the folder's tokenizer.json with @huggingface/transformers, strictly offline. */
export async function loadHfTokenizer(folder: string): Promise<HfTokenizer> {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  try {
    return await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  } catch (error) {
    throw new Error(`${folder}: cannot load tokenizer.json with @huggingface/transformers: ${(error as Error).message}`);
  }
}

/** How many special tokens the tokenizer's post-processor puts before and after a single text (BERT: 1 and 1). */
export function hfSpecialTokenLayout(tokenizer: HfTokenizer): { leading: number; trailing: number } {
  const probe = 'the a';
  const content = tokenizer.encode(probe, { add_special_tokens: false });
  const full = tokenizer.encode(probe);
  for (let leading = 0; leading + content.length <= full.length; leading++) {
    if (content.every((id, i) => full[leading + i] === id)) return { leading, trailing: full.length - leading - content.length };
  }
  throw new Error('tokenizer: the special tokens added around a text could not be located');
}

/** The encoder's cache identity: the model and tokenizer bytes plus the settings that shape the vectors. */
export async function hfEncoderId(settings: HfEncoderSettings): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [settings.modelPath, path.join(settings.folder, 'tokenizer.json')]) {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  // `tokenize: 'content'`: tokenize() ids carry no added special tokens (changed from the first version: new id).
  hash.update(JSON.stringify({ pooling: settings.pooling, normalize: settings.normalize, maxLength: settings.maxLength, tokenize: 'content' }));
  return `hf:${path.basename(settings.folder)}:${hash.digest('hex').slice(0, 16)}`;
}

/** Pools one text's hidden states ([seq, hidden] rows at `offset`) over its `length` real tokens. */
export function poolHiddenStates(states: Float32Array, offset: number, length: number, hidden: number, settings: Pick<HfEncoderSettings, 'pooling' | 'normalize'>): Float32Array {
  const vector = new Float32Array(hidden);
  if (settings.pooling === 'cls') {
    vector.set(states.subarray(offset, offset + hidden));
  } else {
    const sums = new Float64Array(hidden);
    for (let t = 0; t < length; t++) {
      const row = offset + t * hidden;
      for (let h = 0; h < hidden; h++) sums[h] += states[row + h];
    }
    for (let h = 0; h < hidden; h++) vector[h] = sums[h] / Math.max(length, 1);
  }
  if (settings.normalize) {
    let norm = 0;
    for (let h = 0; h < hidden; h++) norm += vector[h] * vector[h];
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let h = 0; h < hidden; h++) vector[h] *= scale;
  }
  return vector;
}

export async function loadHfEncoder(folder: string, opts: HfEncoderOptions = {}): Promise<HfTextEncoder> {
  const settings = await resolveHfEncoderSettings(folder, opts);
  const tokenizer = await loadHfTokenizer(settings.folder);
  const run = await loadHfModel(settings);
  const batchSize = opts.batchSize ?? 16;
  const id = await hfEncoderId(settings);

  const tokenize = async (texts: string[]): Promise<number[][]> => texts.map((text) => tokenizer.encode(text, { add_special_tokens: false }));

  /**
   * The first maxLength ids of a text without tokenising all of it: normalisation and pre-tokenisation work
   * character by character and word by word, so tokenising a prefix gives the same ids except for the word the cut
   * falls in (at most MAX_WORD_PIECES pieces, plus the closing special token). When the prefix yields enough ids
   * beyond that, its first maxLength ids are exact; otherwise the whole text is tokenised.
   */
  const leadingIds = (text: string): number[] => {
    const budget = settings.maxLength * CHARS_PER_ID_GUESS;
    if (text.length > budget * 2) {
      const prefixIds = tokenizer.encode(text.slice(0, budget));
      if (prefixIds.length >= settings.maxLength + MAX_WORD_PIECES + 1) return prefixIds.slice(0, settings.maxLength);
    }
    return tokenizer.encode(text).slice(0, settings.maxLength);
  };

  /** Runs the model on id lists already clipped to maxLength and pools each. */
  async function embedBatch(clipped: number[][]): Promise<Float32Array[]> {
    const { data, seq, hidden } = await run.states(clipped);
    return clipped.map((row, r) => poolHiddenStates(data, r * seq * hidden, row.length, hidden, settings));
  }

  /**
   * A cross-encoder's input for each pair: both texts in one sequence as the tokenizer's pair template puts them
   * ([CLS] a [SEP] b [SEP] for BERT, token type 0 then 1), clipped to maxLength ids.
   */
  const pairIds = (a: string, b: string): { ids: number[]; types: number[] } => {
    const encoded = tokenizer(a, { text_pair: b, return_token_type_ids: true }) as { input_ids: { data: BigInt64Array }; token_type_ids?: { data: BigInt64Array } };
    const ids = Array.from(encoded.input_ids.data, Number).slice(0, settings.maxLength);
    const types = encoded.token_type_ids ? Array.from(encoded.token_type_ids.data, Number).slice(0, settings.maxLength) : ids.map(() => 0);
    return { ids, types };
  };

  // config.json's hidden_size is optional: measure the width on a one-word text when it is absent.
  const dim = settings.hidden || (await embedBatch([tokenizer.encode('a')]))[0].length;
  return {
    id,
    dim,
    backend: 'onnxruntime-cpu (transformers.js)',
    settings,
    tokenize,
    embed(texts: string[], onProgress?: (p: EmbedProgress) => void, signal?: AbortSignal): Promise<Float32Array[]> {
      // Similar lengths share a batch, so little time goes to padding.
      return inLengthBatches(texts.map(leadingIds), batchSize, embedBatch, onProgress, signal);
    },
    embedPairs(first: string[], second: string[], onProgress?: (p: EmbedProgress) => void, signal?: AbortSignal): Promise<Float32Array[]> {
      const encoded = first.map((a, i) => pairIds(a, second[i]));
      const typesOf = new Map(encoded.map((e) => [e.ids, e.types]));
      return inLengthBatches(encoded.map((e) => e.ids), batchSize, async (rows) => {
        const { data, seq, hidden } = await run.states(rows, rows.map((row) => typesOf.get(row)!));
        return rows.map((row, r) => poolHiddenStates(data, r * seq * hidden, row.length, hidden, settings));
      }, onProgress, signal);
    },
    dispose: run.dispose,
  };
}

/** The folder's model, run on id lists (padded here): the last hidden state of every position, [rows, seq, hidden]. */
async function loadHfModel(settings: HfEncoderSettings) {
  const { AutoModel, Tensor } = await import('@huggingface/transformers');
  let model: Awaited<ReturnType<typeof AutoModel.from_pretrained>>;
  try {
    model = await AutoModel.from_pretrained(settings.folder, { local_files_only: true, dtype: 'fp32', device: 'cpu' });
  } catch (error) {
    throw new Error(`${settings.modelPath}: cannot load the model with @huggingface/transformers: ${(error as Error).message}`);
  }
  return {
    /** `types`: token type ids per row (a text pair's second text is 1), padded with 0. */
    async states(rows: number[][], types?: number[][]): Promise<{ data: Float32Array; seq: number; hidden: number }> {
      const { inputIds, attentionMask, dims } = padBatch(rows, settings.padId);
      const inputs: Record<string, InstanceType<typeof Tensor>> = { input_ids: new Tensor('int64', inputIds, dims), attention_mask: new Tensor('int64', attentionMask, dims) };
      if (types) inputs.token_type_ids = new Tensor('int64', padBatch(types, 0).inputIds, dims);
      const outputs = await model(inputs);
      const states = outputs.last_hidden_state;
      if (!states) throw new Error(`${settings.modelPath}: the model has no last_hidden_state output`);
      return { data: states.data as Float32Array, seq: dims[1], hidden: states.dims[2] };
    },
    async dispose() {
      await model.dispose();
    },
  };
}

export interface HfTokenStates {
  settings: HfEncoderSettings;
  id: string;
  /** The ids the model reads for a sentence's words (each word tokenised alone, special tokens around) and their layout. */
  layout(words: string[]): { ids: number[]; layout: SubwordLayout };
  /** Each word's first-subword last hidden state (words × hidden, zeros for a word cut off or without pieces). */
  wordStates(sentences: string[][], signal?: AbortSignal, onProgress?: (p: EmbedProgress) => void): Promise<{ states: Float32Array[]; hidden: number; wordsWithoutState: number }>;
  /** The last hidden state of every position of these id lists (ids.length × hidden each). */
  positionStates(ids: number[][]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/**
 * A Hugging Face folder as a source of token states, for per-token heads: words are tokenised one by one without
 * special tokens (WordPiece and BPE split within a word exactly as in the whole text, since words never share a
 * piece), the special tokens go around them, and the whole is clipped to maxLength ids as the encoder clips.
 */
export async function loadHfTokenStates(folder: string, opts: HfEncoderOptions = {}): Promise<HfTokenStates> {
  const settings = await resolveHfEncoderSettings(folder, opts);
  const tokenizer = await loadHfTokenizer(settings.folder);
  const run = await loadHfModel(settings);
  const { leading, trailing } = hfSpecialTokenLayout(tokenizer);
  const probe = tokenizer.encode('a');
  const [before, after] = [probe.slice(0, leading), probe.slice(probe.length - trailing)];
  const batchSize = opts.batchSize ?? 16;

  const layout = (words: string[]) => {
    const pieces = words.map((word) => tokenizer.encode(word, { add_special_tokens: false }));
    const placed = layoutSubwords(pieces.map((p) => p.length), leading, trailing, settings.maxLength);
    const kept = new Array<number>(words.length).fill(0);
    for (const w of placed.wordOf) if (w !== null) kept[w]++;
    const content = pieces.flatMap((p, w) => p.slice(0, kept[w]));
    return { ids: [...before, ...content, ...after], layout: placed };
  };
  const positionStates = async (ids: number[][]): Promise<Float32Array[]> => {
    const { data, seq, hidden } = await run.states(ids);
    return ids.map((row, r) => data.slice(r * seq * hidden, (r * seq + row.length) * hidden));
  };
  return {
    settings,
    id: await hfEncoderId(settings),
    layout,
    positionStates,
    async wordStates(sentences, signal, onProgress) {
      const laid = sentences.map(layout);
      const perSentence = await inLengthBatches(laid.map((l) => l.ids), batchSize, positionStates, onProgress, signal);
      const hidden = perSentence.find((s) => s.length > 0)!.length / laid.find((l) => l.ids.length > 0)!.ids.length;
      let wordsWithoutState = 0;
      const states = laid.map((l, i) => {
        const out = new Float32Array(l.layout.first.length * hidden);
        l.layout.first.forEach((position, w) => {
          if (position < 0) wordsWithoutState++;
          else out.set(perSentence[i].subarray(position * hidden, (position + 1) * hidden), w * hidden);
        });
        return out;
      });
      return { states, hidden, wordsWithoutState };
    },
    dispose: run.dispose,
  };
}
