// Token-task sources: CoNLL (one token and its tag per line, a blank line between sentences, -DOCSTART- between
// documents), JSONL with character spans (Prodigy/spaCy: {"text", "spans": [{start, end, label}]}) or with token
// and tag lists ({"tokens", "tags"}), and plain text (one sentence per line, unlabeled). Tags are stored as IOB2:
// an I-X that begins an entity (IOB1 style) is read as B-X, and the notice says so. A sentence with a problem is
// skipped whole, with its file, line and reason; the others are read.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ImportIssue } from '../../../shared/domain.js';
import { allowedTransition, typeOf } from '../../../shared/entities.js';
import { textEncodingOf, decodeText } from './encoding.js';

export interface TokenSentence {
  tokens: string[];
  /** IOB2 or plain tags, one per token; null when the source has none (text to predict or to label). */
  tags: string[] | null;
  /** Where it starts: the line number in its file. */
  line: number;
  /** Sentences of one document share this (CoNLL -DOCSTART-, a JSONL line, a text line), for grouped splits. */
  document: number;
  /** The original text and each token's [start, end) in it, where the source has a text (JSONL spans, plain text). */
  text?: string;
  offsets?: Array<[number, number]>;
}

export interface TokenSource {
  file: string;
  sentences: TokenSentence[];
  issues: ImportIssue[];
  notices: string[];
}

/** Words, numbers (with inner dots, commas, hyphens, apostrophes) and single punctuation marks, with offsets. */
export function tokenize(text: string): { tokens: string[]; offsets: Array<[number, number]> } {
  const tokens: string[] = [];
  const offsets: Array<[number, number]> = [];
  for (const match of text.matchAll(/[\p{L}\p{N}_]+(?:[-'’.,][\p{L}\p{N}_]+)*|[^\s\p{L}\p{N}_]/gu)) {
    tokens.push(match[0]);
    offsets.push([match.index, match.index + match[0].length]);
  }
  return { tokens, offsets };
}

const isBioLike = (tag: string) => tag === 'O' || /^[BI]-./.test(tag);

/** IOB2 from IOB1 or IOB2 tags: counts the I- tags that had to become B-. Plain tag sets are left alone. */
function toIob2(tags: string[]): number {
  let fixed = 0;
  for (let i = 0; i < tags.length; i++) {
    if (tags[i].startsWith('I-') && !allowedTransition(i === 0 ? '' : tags[i - 1], tags[i])) {
      tags[i] = `B-${typeOf(tags[i])}`;
      fixed++;
    }
  }
  return fixed;
}

class Collector {
  readonly out: TokenSource;
  private iobFixed = 0;
  private firstFixLine = 0;
  constructor(file: string) {
    this.out = { file, sentences: [], issues: [], notices: [] };
  }
  issue(line: number | '', reason: string, status: ImportIssue['status'] = 'failed'): void {
    this.out.issues.push({ status, file: this.out.file, where: line === '' ? '' : `line ${line}`, reason });
  }
  add(sentence: TokenSentence): void {
    if (sentence.tags && sentence.tags.some((t) => t !== 'O') && sentence.tags.every(isBioLike)) {
      const fixed = toIob2(sentence.tags);
      if (fixed > 0 && this.iobFixed === 0) this.firstFixLine = sentence.line;
      this.iobFixed += fixed;
    }
    this.out.sentences.push(sentence);
  }
  finish(): TokenSource {
    if (this.iobFixed > 0) {
      this.out.notices.push(`${this.iobFixed} I- tag${this.iobFixed === 1 ? '' : 's'} began an entity without a B- before ${this.iobFixed === 1 ? 'it' : 'them'} (IOB1 style; first in the sentence at line ${this.firstFixLine}): read as B-, the start of that entity`);
    }
    const tagged = this.out.sentences.filter((s) => s.tags !== null);
    if (tagged.length > 0) {
      const tagSet = new Set(tagged.flatMap((s) => s.tags!));
      const bio = [...tagSet].filter(isBioLike).length;
      // A mix of BIO tags and plain ones is almost always a wrong column or a typo: name the odd ones.
      if (bio > 0 && bio < tagSet.size && tagSet.has('O')) {
        const odd = [...tagSet].filter((t) => !isBioLike(t)).slice(0, 5);
        this.out.notices.push(`tags ${odd.map((t) => `"${t}"`).join(', ')} are neither O nor B-/I- of a type, in a file of BIO tags: they are read as plain tags; check the tag column`);
      }
    }
    return this.out;
  }
}

function readConll(text: string, c: Collector): void {
  const lines = text.split(/\r?\n/);
  let document = 0;
  let tokens: string[] = [];
  let tags: string[] = [];
  let start = 0;
  let broken: string | null = null;
  let untagged = 0;
  const flush = () => {
    if (tokens.length > 0) {
      if (broken) c.issue(start, broken);
      else if (untagged > 0 && untagged < tokens.length) c.issue(start, `${untagged} of the sentence's ${tokens.length} tokens have no tag (a line with one column); give every token a tag, or none`);
      else c.add({ tokens, tags: untagged === tokens.length ? null : tags, line: start, document });
    }
    tokens = [];
    tags = [];
    broken = null;
    untagged = 0;
  };
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return flush();
    if (line.startsWith('-DOCSTART-')) {
      flush();
      document++;
      return;
    }
    // CoNLL-U (Universal Dependencies): comments, and ten tab-separated columns ID FORM LEMMA UPOS ...; the word is
    // FORM and its tag UPOS. Multiword-token ranges (1-2) and empty nodes (3.1) are not words of their own.
    const conllu = raw.split('\t');
    // Comments are "# key = value" or "# newdoc" / "# newpar" lines; a token "#" with its tag is a word.
    if (/^#\s*([\w.-]+\s*=|newdoc\b|newpar\b)/.test(line) && conllu.length !== 10) {
      if (/^#\s*newdoc\b/.test(line)) document++;
      return;
    }
    if (conllu.length === 10 && /^\d+([-.]\d+)?$/.test(conllu[0])) {
      if (/[-.]/.test(conllu[0])) return;
      if (tokens.length === 0) start = i + 1;
      tokens.push(conllu[1]);
      tags.push(conllu[3]);
      return;
    }
    if (tokens.length === 0) start = i + 1;
    const columns = raw.includes('\t') ? raw.split('\t').map((s) => s.trim()).filter((s) => s !== '') : line.split(/\s+/);
    tokens.push(columns[0]);
    if (columns.length === 1) {
      untagged++;
      tags.push('O');
    } else {
      tags.push(columns[columns.length - 1]);
    }
    if (columns[0].length > 200 && !broken) broken = `line ${i + 1}: a token of ${columns[0].length} characters; is this a CoNLL file (one token per line)?`;
  });
  flush();
}

interface RawSpan {
  start?: unknown;
  end?: unknown;
  label?: unknown;
}

const describeSpan = (n: number, s: RawSpan) => `span ${n} (${String(s.start)}–${String(s.end)}, ${String(s.label)})`;

/** One JSONL line with text and character spans, as tokens and IOB2 tags; null (after an issue) when unreadable. */
function spansToTags(record: Record<string, unknown>, line: number, c: Collector): TokenSentence | null {
  const text = record.text;
  if (typeof text !== 'string' || text.trim() === '') {
    c.issue(line, 'no "text" (a non-empty string) in this line', 'skipped');
    return null;
  }
  const { tokens, offsets } = tokenize(text);
  const raw = record.spans ?? record.entities ?? null;
  if (raw === null) return { tokens, tags: null, line, document: line, text, offsets };
  if (!Array.isArray(raw)) {
    c.issue(line, '"spans" is not a list of {start, end, label}');
    return null;
  }
  const tags = tokens.map(() => 'O');
  // Objects {start, end, label} (Prodigy, spaCy's JSONL) or triples [start, end, label] (spaCy's older training data).
  const spans = (raw as Array<RawSpan | unknown[]>).map((s, k) => (Array.isArray(s) ? { start: s[0], end: s[1], label: s[2], n: k + 1 } : { ...s, n: k + 1 }));
  for (const s of spans) {
    const label = typeof s.label === 'string' ? s.label.trim() : '';
    if (!Number.isInteger(s.start) || !Number.isInteger(s.end) || !label) {
      c.issue(line, `${describeSpan(s.n, s)} needs whole-number start and end and a label`);
      return null;
    }
    if ((s.start as number) < 0 || (s.end as number) > text.length || (s.start as number) >= (s.end as number)) {
      c.issue(line, `${describeSpan(s.n, s)} lies outside the text (${text.length} characters) or is empty`);
      return null;
    }
  }
  const sorted = [...spans].sort((a, b) => (a.start as number) - (b.start as number));
  for (let k = 1; k < sorted.length; k++) {
    if ((sorted[k].start as number) < (sorted[k - 1].end as number)) {
      c.issue(line, `${describeSpan(sorted[k - 1].n, sorted[k - 1])} and ${describeSpan(sorted[k].n, sorted[k])} overlap; an entity tagger gives each word one entity`);
      return null;
    }
  }
  for (const s of sorted) {
    // A span covers every token it touches: a span ending inside a word takes the whole word.
    const covered = offsets.map(([a, b], t) => (a < (s.end as number) && b > (s.start as number) ? t : -1)).filter((t) => t >= 0);
    if (covered.length === 0) {
      c.issue(line, `${describeSpan(s.n, s)} covers no word (only spaces)`);
      return null;
    }
    if (covered.some((t) => tags[t] !== 'O')) {
      c.issue(line, `${describeSpan(s.n, s)} shares a word with the span before it; an entity tagger gives each word one entity`);
      return null;
    }
    const type = (s.label as string).trim();
    covered.forEach((t, k) => (tags[t] = `${k === 0 ? 'B' : 'I'}-${type}`));
  }
  return { tokens, tags, line, document: line, text, offsets };
}

function tokensAndTags(record: Record<string, unknown>, line: number, c: Collector): TokenSentence | null {
  const tokens = record.tokens;
  const tags = record.tags ?? record.ner_tags ?? record.labels ?? null;
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string')) {
    c.issue(line, '"tokens" is not a list of strings');
    return null;
  }
  if (tags === null) return { tokens: tokens as string[], tags: null, line, document: line };
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
    c.issue(line, '"tags" is not a list of tag names (strings; numeric tag ids need the tag names)');
    return null;
  }
  if (tags.length !== tokens.length) {
    c.issue(line, `${tokens.length} tokens but ${tags.length} tags`);
    return null;
  }
  return { tokens: tokens as string[], tags: [...(tags as string[])], line, document: line };
}

function readTokenJsonl(text: string, c: Collector): void {
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch {
      return c.issue(line, 'not valid JSON');
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return c.issue(line, 'not a JSON object');
    const object = record as Record<string, unknown>;
    const sentence = 'tokens' in object ? tokensAndTags(object, line, c) : spansToTags(object, line, c);
    if (sentence && sentence.tokens.length > 0) c.add(sentence);
  });
}

function readPlainText(text: string, c: Collector): void {
  text.split(/\r?\n/).forEach((raw, i) => {
    const { tokens, offsets } = tokenize(raw);
    if (tokens.length > 0) c.add({ tokens, tags: null, line: i + 1, document: i + 1, text: raw, offsets });
  });
}

export const TOKEN_FORMATS = ['.conll', '.conllu', '.iob', '.bio', '.tsv', '.txt', '.jsonl', '.json', '.train', '.dev', '.test', '.testa', '.testb', ''];
const CONLL_EXTENSIONS = new Set(['.conll', '.conllu', '.iob', '.bio', '.tsv']);

/**
 * Whether a text file is CoNLL-shaped (CoNLL-2003's train.txt or eng.train, say): nearly every non-blank line of its
 * start has two or more columns, and the last columns take few distinct values (tags), not free text.
 */
export function looksLikeConll(text: string): boolean {
  const lines = text.split(/\r?\n/, 2000).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('-DOCSTART-')).slice(0, 500);
  // Too little to tell: read as text.
  if (lines.length < 3) return false;
  const columns = lines.map((l) => (l.includes('\t') ? l.split('\t') : l.split(/\s+/)));
  // One width for (nearly) every line, as a table has; prose lines vary.
  const widths = new Map<number, number>();
  for (const c of columns) widths.set(c.length, (widths.get(c.length) ?? 0) + 1);
  const [width, lines_] = [...widths].reduce((a, b) => (b[1] > a[1] ? b : a));
  if (width < 2 || width > 12 || lines_ < 0.95 * lines.length) return false;
  // The last column repeats a few values (tags).
  const tags = new Set(columns.map((c) => c[c.length - 1]));
  return tags.size <= Math.max(10, Math.min(50, lines.length / 2));
}

/** Reads a token-task file; its problems come back as issues (file, line, reason), one per skipped sentence. */
export async function readTokenFile(file: string): Promise<TokenSource> {
  const extension = extname(file).toLowerCase();
  if (!TOKEN_FORMATS.includes(extension)) {
    throw new Error(`${file}: a token task reads CoNLL files (${[...CONLL_EXTENSIONS].join(', ')}, or .txt / .train / .dev / .test in that layout), JSONL spans or tokens (.jsonl), or plain text (.txt), not ${extension}`);
  }
  const bytes = await readFile(file);
  const text = decodeText(bytes, textEncodingOf(bytes.subarray(0, 64 * 1024)).encoding).replace(/^\uFEFF/, '');
  const c = new Collector(file);
  if (extension === '.jsonl' || extension === '.json') readTokenJsonl(text, c);
  else if (CONLL_EXTENSIONS.has(extension) || looksLikeConll(text)) readConll(text, c);
  else readPlainText(text, c);
  return c.finish();
}
