// Stage 2 of training: every document of the split as features — its sentence embedding (cached per content hash
// and encoder) and, unless turned off, TF-IDF features of the tokenizer's ids fitted on the training split.
// The later stages (selection, fitting, calibration, evaluation) read these and never the texts again, so the
// strategy search fits many candidates on one set of features.
import { yieldToEventLoop } from '../event-loop.js';
import { loadEncoder } from '../encoders/index.js';
import { EmbeddingCache, embedWithCache } from '../encoders/cache.js';
import type { TextEncoder } from '../encoders/types.js';
import { type FeatureSet } from './heads.js';
import { throwIfAborted } from '../cancel.js';
import type { TrainJob } from './job.js';
import { columnLookup, concatRows, DocumentFrequencies, recipeFromFrequencies, selectRows, transformLexical, type LexicalOptions, type LexicalRecipe, type SparseRows } from './lexical.js';
import type { PreparedData } from './prepare.js';
import { buildFeatures } from './predictor.js';
import type { ProgressReporter } from './progress.js';
import { TokenCache, tokenizeWithCache } from './token-cache.js';
import { crossEncoderView, PAIR_WIDTH_FACTOR, pairFeatures, pairItem, pairTokenIds, textHash } from './pairs.js';

/** Documents per embedding slice (the signal is checked and events are handled between slices). */
const EMBED_SLICE = 64;
/** Documents per slice of lexical feature work. */
const LEXICAL_SLICE = 100;

export interface Featurized {
  /** One feature row per document: the split's training examples, then validation, then test. */
  features: FeatureSet;
  /** The index into PreparedData.all of each feature row. */
  example: number[];
  /** Feature rows of each part of the split. */
  parts: { train: number[]; val: number[]; test: number[] };
  lexical: LexicalRecipe | null;
  /** dim: the width of the dense features, the encoder's own (or, for pairs, PAIR_WIDTH_FACTOR times it). */
  encoder: { id: string; dim: number; backend: string; crossEncoder?: boolean };
  /** Embedding, tokenising and the lexical features: everything before the head trains. */
  seconds: number;
}

/** The given feature rows as a feature set of their own (for scoring a subset with headLogits). */
export function subsetFeatures(features: FeatureSet, rows: ArrayLike<number>, dim: number): FeatureSet {
  const dense = new Float32Array(rows.length * dim);
  for (let r = 0; r < rows.length; r++) dense.set(features.dense.subarray(rows[r] * dim, (rows[r] + 1) * dim), r * dim);
  return { n: rows.length, dense, lexical: features.lexical ? selectRows(features.lexical, Array.from(rows)) : undefined };
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

export async function featurize(job: TrainJob, data: PreparedData, lexicalOptions: LexicalOptions | null, progress: ProgressReporter, signal?: AbortSignal): Promise<Featurized> {
  const { all, split } = data;
  let encoder: TextEncoder | null = null;
  let cache: EmbeddingCache | null = null;
  let tokenCache: TokenCache | null = null;
  try {
    // A phase of its own: the documents were prepared (100%), and loading has nothing to count.
    progress.update('load', 0, 0);
    await yieldToEventLoop();
    encoder = await loadEncoder(job.encoder, job.encoderOptions);
    cache = EmbeddingCache.open(job.cacheFile);
    const started = Date.now();
    const example = [...split.train, ...split.val, ...split.test];
    const parts = {
      train: example.slice(0, split.train.length).map((_, j) => j),
      val: split.val.map((_, j) => split.train.length + j),
      test: split.test.map((_, j) => split.train.length + split.val.length + j),
    };
    // A pair's two texts are embedded (and cached) one by one: the first texts, then the second ones.
    const pairs = job.pairs === true;
    const items = pairs
      ? [...example.map((i) => all[i].text), ...example.map((i) => all[i].pair ?? '')].map((text) => ({ text, contentHash: textHash(text) }))
      : example.map((i) => ({ text: all[i].text, contentHash: all[i].contentHash }));
    // A cross-encoder reads each pair as one input (cached under the pair's two texts); otherwise each text is embedded.
    const cross = pairs && encoder.embedPairs ? crossEncoderView(encoder) : null;
    const embedded = cross ? example.map((i) => pairItem(all[i].text, all[i].pair ?? '')) : items;
    // In slices, yielding between them, so a cancel message from the worker's parent is seen within a slice.
    let embeddings: Float32Array[] = [];
    for (let start = 0; start < embedded.length; start += EMBED_SLICE) {
      throwIfAborted(signal);
      const slice = embedded.slice(start, start + EMBED_SLICE);
      embeddings.push(...(await embedWithCache(cross ?? encoder, cache, slice, (p) => progress.update('embed', start + p.done, embedded.length, { message: 'reading the documents with the language model' }), signal)));
      await yieldToEventLoop();
    }
    if (pairs && !cross) embeddings = example.map((_, j) => pairFeatures(embeddings[j], embeddings[example.length + j]));
    const width = pairs && !cross ? PAIR_WIDTH_FACTOR * encoder.dim : encoder.dim;
    let lexical: { recipe: LexicalRecipe; rows: SparseRows } | null = null;
    if (lexicalOptions) {
      tokenCache = TokenCache.open(job.cacheFile);
      // One phase, one bar: splitting into words, then counting them over the training documents and all documents.
      const steps = items.length + split.train.length + example.length;
      const tokenized = await tokenizeWithCache(encoder, tokenCache, items, (done) => progress.update('words', done, steps, { message: 'splitting the documents into words' }), signal);
      const ids = pairs ? example.map((_, j) => pairTokenIds(tokenized[j], tokenized[example.length + j])) : tokenized;
      lexical = await buildLexicalFeatures(ids, split.train.length, lexicalOptions, (done) => progress.update('words', items.length + done, steps, { message: 'counting the words that tell the classes apart' }), signal);
    }
    throwIfAborted(signal);
    return {
      features: buildFeatures(embeddings, width, lexical?.rows),
      example,
      parts,
      lexical: lexical?.recipe ?? null,
      encoder: { id: encoder.id, dim: width, backend: encoder.backend, ...(cross ? { crossEncoder: true } : {}) },
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    cache?.close();
    tokenCache?.close();
    await encoder?.dispose();
  }
}
