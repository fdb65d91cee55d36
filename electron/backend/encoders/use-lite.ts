// The shipped Universal Sentence Encoder lite, independent of where its forward pass runs (tfjs or ONNX Runtime):
// tokenising, long-document windows, batching by length, averaging, progress and cancellation.
import type { EmbedProgress, TextEncoder } from './types.js';
import { LONG_DOC_MODES, encodeForWindows, tokenWindows, type LongDocMode } from './long-docs.js';
import { loadUseLiteTokenizer } from './tokenizer.js';
import { USE_LITE_DIM } from './use-lite-model.js';
import { yieldToEventLoop } from '../event-loop.js';

/** The graph keeps only positions < 128 (KonaTransformer/ClipToMaxLength), so a window never holds more. */
export const USE_LITE_MAX_TOKENS = 128;
/** Bumped whenever tokenizer.ts changes how text becomes ids (part of the encoder id, hence of cache keys). */
export const TOKENIZER_REVISION = 1;

export interface UseLiteOptions {
  maxTokens: number;
  longDocs: LongDocMode;
}
export const DEFAULT_USE_LITE_OPTIONS: UseLiteOptions = { maxTokens: USE_LITE_MAX_TOKENS, longDocs: 'truncate' };

/** Runs the forward pass on windows of ids (each ≤ maxTokens long, none empty); returns one unit vector each. */
export interface UseLiteRunner {
  readonly backend: string;
  run(windows: number[][]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export function resolveUseLiteOptions(opts: Partial<UseLiteOptions>): UseLiteOptions {
  const maxTokens = opts.maxTokens ?? DEFAULT_USE_LITE_OPTIONS.maxTokens;
  const longDocs = opts.longDocs ?? DEFAULT_USE_LITE_OPTIONS.longDocs;
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > USE_LITE_MAX_TOKENS) {
    throw new Error(`use-lite: maxTokens must be a whole number from 1 to ${USE_LITE_MAX_TOKENS} (the model's position limit), got ${maxTokens}`);
  }
  if (!LONG_DOC_MODES.includes(longDocs)) {
    throw new Error(`use-lite: longDocs must be one of ${LONG_DOC_MODES.join(', ')}, got '${longDocs}'`);
  }
  return { maxTokens, longDocs };
}

/** Everything that changes the vectors: package version, tokenizer revision, window size and long-doc mode. */
export function useLiteEncoderId(packageVersion: string, opts: UseLiteOptions): string {
  return `use-lite@${packageVersion}/tok${TOKENIZER_REVISION}/max${opts.maxTokens}/${opts.longDocs}`;
}

/** Texts tokenised at a time: bounds memory and lets progress flow while windows are still sorted by length. */
const TEXTS_PER_GROUP = 256;
const TEXTS_PER_YIELD = 32;
/** Rows × padded length per forward pass; small enough to keep attention's B·T² in cache, big enough to amortise. */
const TOKENS_PER_BATCH = 2048;
const MAX_ROWS_PER_BATCH = 64;

export async function createUseLiteEncoder(runner: UseLiteRunner, packageVersion: string, opts: UseLiteOptions): Promise<TextEncoder> {
  const tokenizer = await loadUseLiteTokenizer();
  return {
    id: useLiteEncoderId(packageVersion, opts),
    dim: USE_LITE_DIM,
    backend: runner.backend,
    async tokenize(texts) {
      return texts.map((text) => tokenizer.encode(text));
    },
    async embed(texts, onProgress?: (p: EmbedProgress) => void, signal?: AbortSignal) {
      const vectors: Float32Array[] = new Array(texts.length);
      let done = 0;
      for (let start = 0; start < texts.length; start += TEXTS_PER_GROUP) {
        signal?.throwIfAborted();
        const group = texts.slice(start, start + TEXTS_PER_GROUP);
        const windows: { owner: number; ids: number[] }[] = [];
        for (const [i, text] of group.entries()) {
          // Tokenising is synchronous: yield now and then so progress and a cancel message are not held up.
          if (i > 0 && i % TEXTS_PER_YIELD === 0) await yieldToEventLoop();
          const ids = encodeForWindows(tokenizer, text, opts.maxTokens, opts.longDocs);
          for (const window of tokenWindows(ids, opts.maxTokens, opts.longDocs)) windows.push({ owner: start + i, ids: window });
        }
        const windowCount = new Map<number, number>();
        for (const w of windows) windowCount.set(w.owner, (windowCount.get(w.owner) ?? 0) + 1);
        const remaining = new Map(windowCount);
        windows.sort((a, b) => a.ids.length - b.ids.length);
        for (const batch of lengthBatches(windows)) {
          signal?.throwIfAborted();
          const out = await runner.run(batch.map((w) => w.ids));
          batch.forEach((w, k) => {
            vectors[w.owner] = vectors[w.owner] ? addInto(vectors[w.owner], out[k]) : out[k];
            const left = remaining.get(w.owner)! - 1;
            remaining.set(w.owner, left);
            if (left === 0) done++;
          });
          onProgress?.({ done, total: texts.length });
        }
        // Several windows of one text: the mean direction, back on the unit sphere like every other vector.
        for (const [owner, count] of windowCount) if (count > 1) l2NormaliseInPlace(vectors[owner]);
      }
      return vectors;
    },
    dispose: () => runner.dispose(),
  };
}

/** Consecutive windows (already sorted by length) cut into batches under the padded-token and row limits. */
function lengthBatches<T extends { ids: number[] }>(sorted: T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  for (const item of sorted) {
    const paddedTokens = (current.length + 1) * item.ids.length; // sorted ascending: this one is the longest
    if (current.length > 0 && (paddedTokens > TOKENS_PER_BATCH || current.length >= MAX_ROWS_PER_BATCH)) {
      batches.push(current);
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function addInto(target: Float32Array, add: Float32Array): Float32Array {
  for (let i = 0; i < target.length; i++) target[i] += add[i];
  return target;
}

function l2NormaliseInPlace(v: Float32Array): void {
  let sum = 0;
  for (const x of v) sum += x * x;
  const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] *= scale;
}
