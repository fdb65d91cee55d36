// Token projects (task 'token'): a document is a text cut into words, and its marks are entity spans in character
// offsets (Prodigy/spaCy style) of one entity type each. Spans cover whole words and never overlap. The tagger
// trains on IOB2 tags made from them (a plain tag set, such as parts of speech, is one one-word span per tag).
import { entitiesOf, type EntityScores } from './entities.js';
import type { SingleLabelMetrics } from './metrics.js';

export interface EntitySpan {
  /** Character offsets into the document's text, end exclusive. */
  start: number;
  end: number;
  label: string;
}

export interface ScoredSpan extends EntitySpan {
  /** The tagger's mean probability over the span's words. */
  score: number;
}

/** Entities (B-/I- tags, 'O' outside) or one tag per word (parts of speech). */
export type TagScheme = 'entities' | 'tags';

export interface TokenDocument {
  id: number;
  text: string;
  /** Each word's [start, end) in the text. */
  words: Array<[number, number]>;
  spans: EntitySpan[];
  /** A person (or the imported file) finished this document's marks; only such documents train. */
  annotated: boolean;
  sourceFile: string;
  sourceRef: string;
}

export interface TokenDocumentPage {
  documents: TokenDocument[];
  total: number;
}

export interface TokenReview {
  scheme: TagScheme;
  documents: number;
  annotated: number;
  /** Words of the annotated documents, and how many of them are inside an entity. */
  words: number;
  entityWords: number;
  types: Array<{ label: string; entities: number; documents: number }>;
}

export interface TaggerSettingsInfo {
  c: number;
  weights: 'none' | 'sqrt_inverse';
  /** How much the log-probabilities of tag transitions add to the token scores in decoding (0: none). */
  transitionWeight: number;
}

export interface TokenMetrics {
  task: 'token';
  tags: string[];
  bio: boolean;
  n_train_sentences: number;
  n_test_sentences: number;
  /** Test sentences dropped because the same token sequence is in the training data. */
  test_duplicates_removed: number;
  /** BIO tags: entity-level (seqeval strict, IOB2); the headline. */
  entities?: Omit<EntityScores, 'sentences'>;
  /** Token-level precision, recall and F1 per tag (scikit-learn definitions); for plain tag sets the headline is their macro-F1. */
  tokens: Pick<SingleLabelMetrics, 'f1_macro' | 'f1_micro' | 'per_class' | 'confusion_matrix'>;
  settings: TaggerSettingsInfo;
  selection: Array<TaggerSettingsInfo & { score: number }>;
  /** What the tagger reads: word features, a language model's token states, or both (only 'encoder' exports to ONNX). */
  features: 'words' | 'encoder' | 'encoder+words';
  seconds: number;
}

/** One test document of a token run: its gold and predicted spans. */
export interface TokenResultDocument {
  documentId: number | null;
  text: string;
  gold: EntitySpan[];
  predicted: ScoredSpan[];
}

export interface TokenRunResults {
  metrics: TokenMetrics;
  documents: TokenResultDocument[];
}

export interface TaggedText {
  text: string;
  words: Array<[number, number]>;
  spans: ScoredSpan[];
}

/** Words of a span: those wholly inside it. */
function wordRange(words: Array<[number, number]>, span: { start: number; end: number }): [number, number] | null {
  let first = -1;
  let last = -1;
  words.forEach(([s, e], i) => {
    if (s >= span.start && e <= span.end) {
      if (first < 0) first = i;
      last = i;
    }
  });
  return first < 0 ? null : [first, last + 1];
}

/** Tags of each word from spans: B-X/I-X for entities, the span's label for plain tags, 'O' for words outside. */
export function spansToTags(words: Array<[number, number]>, spans: EntitySpan[], scheme: TagScheme): string[] {
  const tags = words.map(() => 'O');
  for (const span of spans) {
    const range = wordRange(words, span);
    if (!range) continue;
    for (let i = range[0]; i < range[1]; i++) tags[i] = scheme === 'tags' ? span.label : `${i === range[0] ? 'B' : 'I'}-${span.label}`;
  }
  return tags;
}

/** Character spans of tags: strict IOB2 entities for entities, one span per tagged word for plain tags. */
export function tagsToSpans(words: Array<[number, number]>, tags: string[], scheme: TagScheme): EntitySpan[] {
  if (scheme === 'tags') return tags.flatMap((tag, i) => (tag === 'O' ? [] : [{ start: words[i][0], end: words[i][1], label: tag }]));
  return entitiesOf(tags).map((e) => ({ start: words[e.start][0], end: words[e.end - 1][1], label: e.type }));
}

/**
 * Spans made valid for a document, or the reason they cannot be: inside the text, each snapped out to whole words
 * (a span ending inside a word takes the word), none empty, none overlapping another. Sorted by start.
 */
export function normaliseSpans(text: string, words: Array<[number, number]>, spans: EntitySpan[]): EntitySpan[] | string {
  const out: EntitySpan[] = [];
  for (const span of spans) {
    if (!Number.isInteger(span.start) || !Number.isInteger(span.end) || span.start < 0 || span.end > text.length || span.start >= span.end) {
      return `the span [${span.start}, ${span.end}) "${span.label}" is outside the text (0–${text.length}) or empty`;
    }
    const touched = words.map((w, i) => [w, i] as const).filter(([[s, e]]) => e > span.start && s < span.end);
    if (touched.length === 0) return `the span [${span.start}, ${span.end}) "${span.label}" covers no word`;
    out.push({ start: touched[0][0][0], end: touched[touched.length - 1][0][1], label: span.label });
  }
  out.sort((a, b) => a.start - b.start);
  for (let i = 1; i < out.length; i++) {
    if (out[i].start < out[i - 1].end) {
      const [a, b] = [out[i - 1], out[i]];
      return `the spans "${text.slice(a.start, a.end)}" (${a.label}) and "${text.slice(b.start, b.end)}" (${b.label}) overlap`;
    }
  }
  return out;
}

/** How the predicted spans of documents meet the gold ones, by entity type: the type confusion behind Results. */
export interface EntityConfusion {
  /** Types in the order of the rows and columns; the last row is "none" (spurious), the last column "none" (missed). */
  types: string[];
  /** cells[gold][predicted]: indexes of the documents with such an entity. Exact matches are on the diagonal. */
  cells: number[][][];
  counts: number[][];
}

/**
 * Gold entity against predicted entity: the same words and type is a match (diagonal); overlapping words with another
 * type or other boundaries go to (gold type, predicted type); a gold entity no prediction overlaps is "missed", a
 * prediction that overlaps no gold entity "spurious". Boundary errors of the right type sit on the diagonal too, so
 * counts there may exceed the strict true positives.
 */
export function entityConfusion(documents: Array<{ gold: EntitySpan[]; predicted: EntitySpan[] }>): EntityConfusion {
  const types = [...new Set(documents.flatMap((d) => [...d.gold, ...d.predicted].map((s) => s.label)))].sort();
  const index = new Map(types.map((t, i) => [t, i]));
  const none = types.length;
  const cells = Array.from({ length: none + 1 }, () => Array.from({ length: none + 1 }, () => [] as number[]));
  const add = (g: number, p: number, doc: number) => {
    if (cells[g][p][cells[g][p].length - 1] !== doc) cells[g][p].push(doc);
  };
  const counts = Array.from({ length: none + 1 }, () => new Array<number>(none + 1).fill(0));
  const overlaps = (a: EntitySpan, b: EntitySpan) => a.start < b.end && b.start < a.end;
  documents.forEach((d, doc) => {
    for (const g of d.gold) {
      const hits = d.predicted.filter((p) => overlaps(g, p));
      const best = hits.find((p) => p.label === g.label) ?? hits[0];
      const p = best ? index.get(best.label)! : none;
      counts[index.get(g.label)!][p]++;
      add(index.get(g.label)!, p, doc);
    }
    for (const p of d.predicted) {
      if (d.gold.some((g) => overlaps(g, p))) continue;
      counts[none][index.get(p.label)!]++;
      add(none, index.get(p.label)!, doc);
    }
  });
  return { types, cells, counts };
}

/** Whether a document's predicted spans differ from its gold ones (a miss, a spurious entity or a wrong type or edge). */
export function hasEntityErrors(document: { gold: EntitySpan[]; predicted: EntitySpan[] }): boolean {
  const key = (s: EntitySpan) => `${s.start}:${s.end}:${s.label}`;
  const gold = new Set(document.gold.map(key));
  return document.gold.length !== document.predicted.length || document.predicted.some((p) => !gold.has(key(p)));
}

/** Where each word's subwords sit among a tokenizer's ids, special tokens included (domain.md, token classification). */
export interface SubwordLayout {
  /** For each position of the ids: the word it belongs to, or null for a special token. */
  wordOf: Array<number | null>;
  /** For each word: the position of its first subword, or -1 when it has none (cut off by the length limit, or no pieces). */
  first: number[];
}

/**
 * The layout of words with these numbers of subword pieces between `leading` and `trailing` special tokens, the
 * whole clipped to `maxLength` ids (the trailing specials are kept; words past the limit lose their pieces).
 */
export function layoutSubwords(pieces: number[], leading: number, trailing: number, maxLength: number): SubwordLayout {
  const room = Math.max(0, maxLength - leading - trailing);
  const wordOf: Array<number | null> = new Array<number | null>(leading).fill(null);
  const first: number[] = [];
  pieces.forEach((count, word) => {
    const kept = Math.max(0, Math.min(count, room - (wordOf.length - leading)));
    first.push(kept > 0 ? wordOf.length : -1);
    for (let i = 0; i < kept; i++) wordOf.push(word);
  });
  for (let i = 0; i < trailing; i++) wordOf.push(null);
  return { wordOf, first };
}

/**
 * The label of each subword position from its word's tag: the first subword takes the word's tag; the following
 * ones are ignored (null, the -100 of Hugging Face's recipe) or, with `following: 'inside'`, take the I- form (B-X
 * becomes I-X; O and plain tags stay as they are). Special tokens are always ignored.
 */
export function alignSubwordLabels(wordOf: Array<number | null>, tags: string[], following: 'ignore' | 'inside' = 'ignore'): Array<string | null> {
  return wordOf.map((word, i) => {
    if (word === null) return null;
    const tag = tags[word];
    if (i === 0 || wordOf[i - 1] !== word) return tag;
    if (following === 'ignore') return null;
    return tag.startsWith('B-') ? `I-${tag.slice(2)}` : tag;
  });
}
