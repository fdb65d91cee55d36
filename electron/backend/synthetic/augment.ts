// Synthetic minority examples from a class's own documents, by transparent text augmentation (no language model:
// the app is offline). Every candidate says how it was made and from which documents, so a person can review it and
// training can keep it out when one of its sources is held out for evaluation. Seeded: same input, same candidates.
import type { SyntheticMethod } from '../../../shared/domain.js';
import { createRng, randomInt, shuffleInPlace } from '../../../shared/random.js';
import { nearDuplicateKey } from '../../../shared/text.js';

export interface SourceDocument {
  id: number;
  text: string;
}

export interface SyntheticCandidate {
  text: string;
  method: SyntheticMethod;
  /** Every document whose text went into the candidate (the base document first). */
  parents: number[];
}

export interface GenerateInput {
  /** The class's real documents (never synthetic ones). */
  classDocuments: SourceDocument[];
  /** Texts the inverse document frequencies are counted over: every real document of the project. */
  backgroundTexts: string[];
  count: number;
  seed: number;
  /** True when a text would be a near-duplicate of a document already in the project. */
  isExistingNearDuplicate: (text: string) => boolean;
}

/** Method mix: recombination and EDA carry most of the variety; word insertion is the lightest touch. */
const METHOD_CYCLE: SyntheticMethod[] = ['sentence-recombination', 'eda', 'sentence-recombination', 'eda', 'distinctive-words'];
const ATTEMPTS_PER_CANDIDATE = 30;
const MIN_WORDS = 3;
/** Share of a document's words touched by EDA edits (Wei & Zou 2019 use 0.1; we stay light). */
const EDA_RATE = 0.06;
const MAX_EDA_EDITS = 200;
const TOP_TERMS = 40;
const MAX_INSERTED_WORDS = 3;

interface Sentence {
  text: string;
  /** The whitespace that followed it in its document, kept so e-mail line breaks survive. */
  separator: string;
}

/** Sentences end at . ! ? followed by space, or at a line break; separators are kept. */
export function splitSentences(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  const pattern = /(?<=[.!?])[ \t]+|\s*\n\s*/g;
  let start = 0;
  for (const match of text.matchAll(pattern)) {
    const piece = text.slice(start, match.index).trim();
    if (piece) sentences.push({ text: piece, separator: match[0].includes('\n') ? '\n' : ' ' });
    start = match.index + match[0].length;
  }
  const last = text.slice(start).trim();
  if (last) sentences.push({ text: last, separator: ' ' });
  return sentences;
}

const joinSentences = (sentences: Sentence[]): string =>
  sentences.map((s, i) => s.text + (i < sentences.length - 1 ? s.separator : '')).join('');

const STOPWORDS = new Set(
  'the and for are but not you all any can had her was one our out has have him his how its may new now old see two way who did get let put say she too use that with this from they will would there their what about which when your more were been than them then into just like some could other only also very'.split(' '),
);

/** Lower-cased words of 3+ letters, stopwords aside: the terms TF-IDF ranks. */
function terms(text: string): Set<string> {
  const found = new Set<string>();
  for (const [word] of text.toLowerCase().matchAll(/\p{L}[\p{L}\p{N}'-]*\p{L}/gu)) {
    if (word.length >= 3 && !STOPWORDS.has(word)) found.add(word);
  }
  return found;
}

interface DistinctiveTerm {
  term: string;
  /** Class documents that contain it. */
  documents: number[];
}

/**
 * The class's most distinctive terms: share of class documents containing the term × log inverse document frequency
 * over the background. A term must occur in at least 2 class documents, so a one-off word is never spread.
 */
function distinctiveTerms(classTerms: Array<{ id: number; terms: Set<string> }>, backgroundTexts: string[]): DistinctiveTerm[] {
  const inClass = new Map<string, number[]>();
  for (const doc of classTerms) {
    for (const term of doc.terms) {
      const docs = inClass.get(term);
      if (docs) docs.push(doc.id);
      else inClass.set(term, [doc.id]);
    }
  }
  const df = new Map<string, number>();
  for (const text of backgroundTexts) {
    for (const term of terms(text)) if (inClass.has(term)) df.set(term, (df.get(term) ?? 0) + 1);
  }
  const n = backgroundTexts.length;
  return [...inClass]
    .filter(([, docs]) => docs.length >= 2)
    .map(([term, docs]) => ({ term, documents: docs, score: (docs.length / classTerms.length) * Math.log((n + 1) / ((df.get(term) ?? 0) + 1)) }))
    .sort((a, b) => b.score - a.score || (a.term < b.term ? -1 : 1))
    .slice(0, TOP_TERMS)
    .map(({ term, documents }) => ({ term, documents }));
}

/** A contiguous run of sentences from each parent, merged by relative position (openings first, closings last). */
function recombine(parents: Sentence[][], rng: () => number): Sentence[] {
  const picked: Array<{ sentence: Sentence; position: number; parent: number }> = [];
  const share = 1 / parents.length;
  parents.forEach((sentences, parent) => {
    const n = sentences.length;
    // Never a whole multi-sentence parent: the candidate must not contain a source document verbatim.
    const length = Math.max(1, Math.min(n > 1 ? n - 1 : 1, Math.round(n * share * (0.7 + 0.6 * rng()))));
    const start = randomInt(n - length + 1, rng);
    for (let i = start; i < start + length; i++) picked.push({ sentence: sentences[i], position: (i + 0.5) / n, parent });
  });
  return picked.sort((a, b) => a.position - b.position || a.parent - b.parent).map((p) => p.sentence);
}

const wordsOf = (sentence: Sentence): string[] => sentence.text.split(/\s+/).filter(Boolean);

/** EDA-style light edits: delete a 1–3 word span, or swap two words, inside sentences of 4+ words. */
function edaEdit(sentences: Sentence[], rng: () => number): Sentence[] {
  const words = sentences.map(wordsOf);
  const editable = words.map((w, i) => i).filter((i) => words[i].length >= 4);
  if (editable.length === 0) return sentences;
  const total = words.reduce((sum, w) => sum + w.length, 0);
  const edits = Math.min(MAX_EDA_EDITS, Math.max(1, Math.round(total * EDA_RATE)));
  for (let e = 0; e < edits; e++) {
    const s = words[editable[randomInt(editable.length, rng)]];
    if (s.length < 4) continue;
    if (rng() < 0.5) {
      const span = 1 + randomInt(Math.min(3, Math.floor(s.length / 4)), rng);
      s.splice(randomInt(s.length - span + 1, rng), span);
    } else {
      const i = randomInt(s.length, rng);
      const j = (i + 1 + randomInt(s.length - 1, rng)) % s.length;
      [s[i], s[j]] = [s[j], s[i]];
    }
  }
  return sentences.map((sentence, i) => ({ ...sentence, text: words[i].join(' ') }));
}

/**
 * Inserts 1–3 distinctive class terms the base lacks, all taken from one other class document (the donor, which
 * becomes the second parent: one donor rather than one per word keeps the leakage guard from dropping the candidate).
 */
function insertDistinctive(
  base: { id: number; sentences: Sentence[]; terms: Set<string> },
  vocabulary: DistinctiveTerm[],
  rng: () => number,
): { sentences: Sentence[]; donor: number } | null {
  const options = vocabulary.filter((t) => !base.terms.has(t.term) && t.documents.some((d) => d !== base.id));
  if (options.length === 0) return null;
  // Higher-ranked terms are likelier: the first term is drawn from the top of the list with a bias.
  const first = options[Math.floor(options.length * rng() * rng())];
  const donors = first.documents.filter((d) => d !== base.id);
  const donor = donors[randomInt(donors.length, rng)];
  const fromDonor = options.filter((t) => t !== first && t.documents.includes(donor));
  const words = base.sentences.map(wordsOf);
  const total = words.reduce((sum, w) => sum + w.length, 0);
  const wanted = Math.min(MAX_INSERTED_WORDS, 1 + fromDonor.length, Math.max(1, Math.round(total / 40)));
  const chosen = [first, ...shuffleInPlace(fromDonor, rng).slice(0, wanted - 1)];
  for (const term of chosen) {
    const s = words[randomInt(words.length, rng)];
    s.splice(randomInt(s.length + 1, rng), 0, term.term);
  }
  return { sentences: base.sentences.map((sentence, i) => ({ ...sentence, text: words[i].join(' ') })), donor };
}

/**
 * Up to `count` candidates for one class, deterministic for a seed. Never a parent's text, never a near-duplicate of
 * a project document or of another candidate; fewer than `count` when the class's documents allow no more.
 */
export function generateCandidates(input: GenerateInput): SyntheticCandidate[] {
  const rng = createRng(input.seed);
  const docs = input.classDocuments
    .map((d) => ({ id: d.id, sentences: splitSentences(d.text), terms: terms(d.text) }))
    .filter((d) => d.sentences.length > 0);
  if (docs.length === 0 || input.count <= 0) return [];
  const vocabulary = distinctiveTerms(docs, input.backgroundTexts);
  // The class's own texts are checked here too, so no caller can get a parent back verbatim.
  const taken = new Set(input.classDocuments.map((d) => nearDuplicateKey(d.text)));
  const candidates: SyntheticCandidate[] = [];
  // Base documents in a shuffled round so every document is used about equally.
  let order: typeof docs = [];
  const nextBase = () => {
    if (order.length === 0) order = shuffleInPlace([...docs], rng);
    return order.pop()!;
  };

  const make = (method: SyntheticMethod): SyntheticCandidate | null => {
    const base = nextBase();
    if (method === 'sentence-recombination') {
      if (docs.length < 2) return null;
      const others = shuffleInPlace(docs.filter((d) => d !== base), rng).slice(0, docs.length >= 3 && rng() < 0.5 ? 2 : 1);
      const parents = shuffleInPlace([base, ...others], rng);
      return { text: joinSentences(recombine(parents.map((p) => p.sentences), rng)), method, parents: parents.map((p) => p.id) };
    }
    if (method === 'eda') return { text: joinSentences(edaEdit(base.sentences, rng)), method, parents: [base.id] };
    const inserted = insertDistinctive(base, vocabulary, rng);
    if (!inserted) return null;
    return { text: joinSentences(inserted.sentences), method, parents: [base.id, inserted.donor] };
  };

  const maxAttempts = input.count * ATTEMPTS_PER_CANDIDATE;
  for (let attempt = 0; attempt < maxAttempts && candidates.length < input.count; attempt++) {
    const candidate = make(METHOD_CYCLE[attempt % METHOD_CYCLE.length]);
    if (!candidate) continue;
    const key = nearDuplicateKey(candidate.text);
    if (key.split(' ').length < MIN_WORDS || taken.has(key) || input.isExistingNearDuplicate(candidate.text)) continue;
    taken.add(key);
    candidates.push(candidate);
  }
  return candidates;
}
