// The tagger's features of a token in its sentence: the classic feature-based recipe (the word, its affixes and
// shape, its neighbours), as strings, numbered by a vocabulary fitted on the training sentences.
import type { SparseRows } from '../lexical.js';

/** Xxxx, xxxx, XXXX, dd, Xd-d ...: runs of one character class collapsed. */
function shape(word: string): string {
  let out = '';
  for (const ch of word) {
    const c = /\p{Lu}/u.test(ch) ? 'X' : /\p{Ll}/u.test(ch) ? 'x' : /\p{N}/u.test(ch) ? 'd' : ch;
    if (out[out.length - 1] !== c || out.length < 2 || out[out.length - 2] !== c) out += c;
  }
  return out;
}

const lower = (w: string | undefined) => (w === undefined ? undefined : w.toLowerCase());

/** Feature names of token i. */
export function tokenFeatures(tokens: string[], i: number): string[] {
  const w = tokens[i];
  const lw = w.toLowerCase();
  const features = [`w=${lw}`, `shape=${shape(w)}`, `len=${Math.min(w.length, 8)}`];
  for (let k = 1; k <= 4 && k < lw.length; k++) features.push(`pre${k}=${lw.slice(0, k)}`, `suf${k}=${lw.slice(-k)}`);
  if (/^\p{Lu}/u.test(w)) features.push(i === 0 ? 'title@start' : 'title');
  if (/^\p{Lu}+$/u.test(w) && w.length > 1) features.push('upper');
  if (/\p{N}/u.test(w)) features.push(/^\p{N}+$/u.test(w) ? 'number' : 'has-digit');
  if (w.includes('-')) features.push('hyphen');
  for (const offset of [-2, -1, 1, 2]) {
    const neighbour = lower(tokens[i + offset]) ?? (offset < 0 ? '<s>' : '</s>');
    features.push(`w${offset > 0 ? '+' : ''}${offset}=${neighbour}`);
    if (Math.abs(offset) === 1) {
      const raw = tokens[i + offset];
      features.push(`shape${offset > 0 ? '+' : ''}${offset}=${raw === undefined ? 'none' : shape(raw)}`);
      if (raw !== undefined && raw.length > 2) features.push(`suf3${offset > 0 ? '+' : ''}${offset}=${raw.toLowerCase().slice(-3)}`);
    }
  }
  features.push(`w-1|w=${lower(tokens[i - 1]) ?? '<s>'}|${lw}`, `w|w+1=${lw}|${lower(tokens[i + 1]) ?? '</s>'}`);
  return features;
}

export interface FeatureVocabulary {
  names: string[];
  index: Map<string, number>;
}

/** Features seen at least `minCount` times in training, the most frequent first, at most `maxFeatures`. */
export function fitVocabulary(sentences: string[][], minCount: number, maxFeatures: number): FeatureVocabulary {
  const counts = new Map<string, number>();
  for (const tokens of sentences) {
    for (let i = 0; i < tokens.length; i++) for (const f of tokenFeatures(tokens, i)) counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  const names = [...counts].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxFeatures).map(([f]) => f);
  return { names, index: new Map(names.map((f, i) => [f, i])) };
}

/** One sparse row per token of every sentence, in order (binary features, unscaled). */
export function featureRows(sentences: string[][], vocabulary: FeatureVocabulary): SparseRows {
  const rowPtr: number[] = [0];
  const cols: number[] = [];
  for (const tokens of sentences) {
    for (let i = 0; i < tokens.length; i++) {
      const seen = new Set<number>();
      for (const f of tokenFeatures(tokens, i)) {
        const col = vocabulary.index.get(f);
        if (col !== undefined && !seen.has(col)) seen.add(col);
      }
      cols.push(...[...seen].sort((a, b) => a - b));
      rowPtr.push(cols.length);
    }
  }
  return { rowPtr: Int32Array.from(rowPtr), cols: Int32Array.from(cols), values: new Float32Array(cols.length).fill(1), nCols: vocabulary.names.length };
}
