// Sentence pairs with the sentence encoder: a pair (a, b) is the features [u, v, |u − v|, u ∘ v] of its two
// embeddings (the recipe of InferSent and Sentence-BERT's classification objective), and word features of both
// texts with b's words kept apart from a's. With a Hugging Face encoder the pair is read as one input instead (a
// cross-encoder, [CLS] a [SEP] b [SEP]). A pair and its swap are one item for deduplication and splitting.
import { createHash } from 'node:crypto';
import { nearDuplicateKey } from '../../../shared/text.js';
import type { TextEncoder } from '../encoders/types.js';
import type { TrainExample } from './job.js';

/** How much wider the pair features are than one embedding. */
export const PAIR_WIDTH_FACTOR = 4;

/** Token ids of the second text are moved past any vocabulary, so "refund" in a and in b are different features. */
export const SECOND_TEXT_OFFSET = 1 << 24;

export function pairFeatures(u: Float32Array, v: Float32Array): Float32Array {
  const d = u.length;
  const out = new Float32Array(PAIR_WIDTH_FACTOR * d);
  for (let i = 0; i < d; i++) {
    out[i] = u[i];
    out[d + i] = v[i];
    out[2 * d + i] = Math.abs(u[i] - v[i]);
    out[3 * d + i] = u[i] * v[i];
  }
  return out;
}

export function pairTokenIds(a: ArrayLike<number>, b: ArrayLike<number>): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a as ArrayLike<number>);
  for (let i = 0; i < b.length; i++) out[a.length + i] = b[i] + SECOND_TEXT_OFFSET;
  return out;
}

/** The same for (a, b) and (b, a): the importer's identity of a pair (store/importer.ts). */
export { pairContentHash } from '../store/importer.js';

export const textHash = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Joins a pair's texts into one cache item for a cross-encoder (no text holds this control picture). */
const PAIR_JOIN = '\u241E';

export function pairItem(a: string, b: string): { text: string; contentHash: string } {
  const text = `${a}${PAIR_JOIN}${b}`;
  return { text, contentHash: textHash(text) };
}

/**
 * A cross-encoder seen as an encoder of joined pairs (pairItem), so the embedding cache serves it as any encoder;
 * its identity differs from the encoder's own, so a pair's cross vector never answers for a single text.
 */
export function crossEncoderView(encoder: TextEncoder): TextEncoder {
  return {
    id: `${encoder.id}:cross-encoder`,
    dim: encoder.dim,
    backend: encoder.backend,
    tokenize: (texts) => encoder.tokenize(texts),
    embed: (joined, onProgress, signal) => {
      const parts = joined.map((text) => text.split(PAIR_JOIN));
      return encoder.embedPairs!(parts.map((p) => p[0]), parts.map((p) => p.slice(1).join(PAIR_JOIN)), onProgress, signal);
    },
    dispose: async () => undefined,
  };
}

/** The near-duplicate key of an example: of its text, or of both texts of a pair in either order. */
export function exampleKey(e: Pick<TrainExample, 'text' | 'pair'>): string {
  return e.pair === undefined ? nearDuplicateKey(e.text) : [nearDuplicateKey(e.text), nearDuplicateKey(e.pair)].sort().join('|');
}
