// Long documents: which token windows of a text the encoder sees, and how to get them without tokenising
// megabytes of text the encoder will never look at.
import { UNKNOWN_ID, loadUseLiteVocab, type UseLiteTokenizer } from './tokenizer.js';

export type LongDocMode = 'truncate' | 'head_tail' | 'chunk_mean';
export const LONG_DOC_MODES: readonly LongDocMode[] = ['truncate', 'head_tail', 'chunk_mean'];
/** chunk_mean averages at most this many consecutive windows from the start of the text (changing it changes vectors:
 * bump TOKENIZER_REVISION in use-lite.ts with it, so cached vectors are not reused). */
export const MAX_CHUNKS = 8;

/**
 * The windows of at most maxTokens ids that are embedded (their vectors are averaged when there are several).
 * truncate: the first maxTokens ids. head_tail: the first ⌈maxTokens/2⌉ and the last ⌊maxTokens/2⌋ ids, joined.
 * chunk_mean: consecutive windows of maxTokens, at most MAX_CHUNKS. An empty text becomes one unknown token, so that
 * every text gets a vector.
 */
export function tokenWindows(ids: number[], maxTokens: number, mode: LongDocMode): number[][] {
  if (ids.length === 0) return [[UNKNOWN_ID]];
  if (ids.length <= maxTokens) return [ids];
  if (mode === 'truncate') return [ids.slice(0, maxTokens)];
  if (mode === 'head_tail') {
    const head = Math.ceil(maxTokens / 2);
    return [[...ids.slice(0, head), ...ids.slice(ids.length - (maxTokens - head))]];
  }
  const windows: number[][] = [];
  for (let start = 0; start < ids.length && windows.length < MAX_CHUNKS; start += maxTokens) {
    windows.push(ids.slice(start, start + maxTokens));
  }
  return windows;
}

/** How many leading (and trailing) ids a mode can use; the rest of a long text need not be tokenised. */
function neededIds(maxTokens: number, mode: LongDocMode): { head: number; tail: number } {
  if (mode === 'truncate') return { head: maxTokens, tail: 0 };
  if (mode === 'head_tail') return { head: Math.ceil(maxTokens / 2), tail: Math.floor(maxTokens / 2) };
  return { head: maxTokens * MAX_CHUNKS, tail: 0 };
}

/** Characters tried per needed id before falling back to the whole text (e-mail averages ~2.5 chars per id). */
const CHARS_PER_ID_GUESS = 12;

let wordStarts: Uint8Array | null = null;
/** ids whose piece begins with '▁': the only places where a Viterbi path can split between words. */
function isWordStart(id: number): boolean {
  if (!wordStarts) {
    const vocab = loadUseLiteVocab();
    wordStarts = new Uint8Array(vocab.length);
    vocab.forEach(([piece], i) => (wordStarts![i] = piece.startsWith('▁') ? 1 : 0));
  }
  return wordStarts[id] === 1;
}

/**
 * The ids tokenWindows needs, equal to the corresponding part of tokenizer.encode(text), found by tokenising a
 * prefix (and a suffix) only. This is exact because no piece spans a word boundary: the best path over the whole
 * text is the best path of each word joined, so only the word cut in half is dropped before use.
 */
export function encodeForWindows(tokenizer: UseLiteTokenizer, text: string, maxTokens: number, mode: LongDocMode): number[] {
  const { head, tail } = neededIds(maxTokens, mode);
  const budget = (head + tail) * CHARS_PER_ID_GUESS;
  if (text.length <= budget * 2) return tokenizer.encode(text);
  const prefix = tokenizer.encode(text.slice(0, budget));
  let cutWord = prefix.length - 1;
  while (cutWord > 0 && !isWordStart(prefix[cutWord])) cutWord--;
  if (cutWord < head) return tokenizer.encode(text);
  if (tail === 0) return prefix.slice(0, cutWord);

  const suffix = tokenizer.encode(text.slice(text.length - budget));
  let firstWhole = 1;
  while (firstWhole < suffix.length && !isWordStart(suffix[firstWhole])) firstWhole++;
  if (suffix.length - firstWhole < tail) return tokenizer.encode(text);
  // head and tail come from parts of the text 2 × budget characters apart, so the whole text has more than
  // maxTokens ids and head_tail reads exactly these.
  return [...prefix.slice(0, head), ...suffix.slice(suffix.length - tail)];
}
