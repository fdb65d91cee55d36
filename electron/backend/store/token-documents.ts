// Token projects in the store: importing CoNLL, JSONL spans or plain text as documents with their words and entity
// spans (schema 6), reading and replacing a document's spans, the project's tag counts, and the training sentences.
import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { isBioTagSet } from '../../../shared/entities.js';
import { normaliseSpans, spansToTags, tagsToSpans, type EntitySpan, type TagScheme, type TokenDocument, type TokenDocumentPage, type TokenReview } from '../../../shared/tokens.js';
import { readTokenFile, tokenize, type TokenSentence } from '../import/tokens.js';
import type { ImportProgress, RecordWriter } from './importer.js';
import { TaxonomyError } from './taxonomy.js';

export function tagSchemeOf(db: Database.Database): TagScheme | null {
  return (db.prepare('SELECT tag_scheme AS scheme FROM projects ORDER BY id LIMIT 1').get() as { scheme: TagScheme | null }).scheme;
}

/** A sentence's text and words: the source's own text and offsets, or its tokens joined by single spaces. */
function textOf(sentence: TokenSentence): { text: string; words: Array<[number, number]> } {
  if (sentence.text !== undefined && sentence.offsets) return { text: sentence.text, words: sentence.offsets };
  const words: Array<[number, number]> = [];
  let at = 0;
  for (const token of sentence.tokens) {
    words.push([at, at + token.length]);
    at += token.length + 1;
  }
  return { text: sentence.tokens.join(' '), words };
}

/**
 * The stored form of a sentence's text: trimmed and NFC-normalised as every imported text, with its word offsets
 * moved to match (null when normalising changed the words themselves, which the caller reports).
 */
function storedForm(sentence: TokenSentence): { text: string; words: Array<[number, number]> } | null {
  const { text, words } = textOf(sentence);
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  if (trimmed.normalize('NFC') === trimmed) return { text: trimmed, words: words.map(([s, e]) => [s - lead, e - lead]) };
  const again = tokenize(trimmed.normalize('NFC'));
  return again.tokens.length === words.length ? { text: trimmed.normalize('NFC'), words: again.offsets } : null;
}

/** Reads token files into the import's transaction: one document per sentence, its tags stored as spans. */
export async function importTokenFiles(db: Database.Database, writer: RecordWriter, paths: string[], onProgress?: (p: ImportProgress) => void, signal?: AbortSignal): Promise<void> {
  const insertWords = db.prepare('INSERT INTO token_documents (document_id, words, annotated, updated_at) VALUES (?, ?, ?, ?)');
  const insertSpan = db.prepare(`INSERT INTO entity_spans (document_id, start, end, label_id, source, created_at) VALUES (?, ?, ?, ?, 'imported', ?)`);
  const now = new Date().toISOString();
  let scheme = tagSchemeOf(db);
  for (const path of paths) {
    signal?.throwIfAborted();
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      writer.addIssue({ status: 'failed', file: path, where: '', reason: 'a token project imports files (CoNLL, JSONL spans or plain text), not folders' });
      continue;
    }
    let source;
    try {
      source = await readTokenFile(path);
    } catch (error) {
      writer.addIssue({ status: 'failed', file: path, where: '', reason: (error as Error).message.replace(`${path}: `, '') });
      continue;
    }
    for (const issue of source.issues) writer.addIssue(issue);
    for (const notice of source.notices) writer.addNotice({ file: path, message: notice });
    const tagged = source.sentences.filter((s) => s.tags !== null);
    if (tagged.length > 0) {
      const found: TagScheme = isBioTagSet(tagged.flatMap((s) => s.tags!)) ? 'entities' : 'tags';
      if (scheme !== null && scheme !== found) {
        const words = (s: TagScheme) => (s === 'entities' ? 'entities (B-/I- tags)' : 'one tag per word');
        throw new TaxonomyError(`${path}: its tags are ${words(found)}, but this project's are ${words(scheme)}; import it into a project of its own.`);
      }
      if (scheme === null) db.prepare('UPDATE projects SET tag_scheme = ?').run(found);
      scheme = found;
    }
    // A CoNLL -DOCSTART- document (or a JSONL line) keeps its sentences together when the runs split by document.
    source.sentences.forEach((sentence, i) => {
      const form = storedForm(sentence);
      const where = `line ${sentence.line}`;
      if (!form) {
        writer.addIssue({ status: 'failed', file: path, where, reason: 'Unicode normalisation changed its words; save the file in NFC form' });
        return;
      }
      const documentId = writer.addRecord({ text: form.text, labels: null, sourceFile: path, sourceRef: where, metadata: { group: `${path}#${sentence.document}` } });
      if (documentId === null) return;
      insertWords.run(documentId, JSON.stringify(form.words), sentence.tags ? 1 : 0, now);
      if (sentence.tags && scheme) {
        for (const span of tagsToSpans(form.words, sentence.tags, scheme)) insertSpan.run(documentId, span.start, span.end, writer.labelIdFor(span.label), now);
      }
      if (i % 500 === 0) onProgress?.({ file: path, done: i, total: source.sentences.length, imported: writer.imported() });
    });
  }
}

interface WordsRow {
  id: number;
  text: string;
  sourceFile: string;
  sourceRef: string;
  words: string;
  annotated: number;
}

function spansOf(db: Database.Database, documentId: number): EntitySpan[] {
  return db
    .prepare('SELECT s.start, s.end, l.name AS label FROM entity_spans s JOIN labels l ON l.id = s.label_id WHERE s.document_id = ? ORDER BY s.start')
    .all(documentId) as EntitySpan[];
}

const SELECT_WORDS = `SELECT d.id, d.text, d.source_file AS sourceFile, d.source_ref AS sourceRef, t.words, t.annotated
                        FROM documents d JOIN token_documents t ON t.document_id = d.id`;

function toDocument(db: Database.Database, row: WordsRow): TokenDocument {
  return { id: row.id, text: row.text, words: JSON.parse(row.words) as Array<[number, number]>, spans: spansOf(db, row.id), annotated: row.annotated === 1, sourceFile: row.sourceFile, sourceRef: row.sourceRef };
}

export function tokenDocument(db: Database.Database, documentId: number): TokenDocument {
  const row = db.prepare(`${SELECT_WORDS} WHERE d.id = ?`).get(documentId) as WordsRow | undefined;
  if (!row) throw new TaxonomyError(`No document ${documentId} with words in this project (is it a token project?).`);
  return toDocument(db, row);
}

export interface TokenQuery {
  /** true: finished documents only; false: those still to mark; absent: all. */
  annotated?: boolean;
  /** Documents with a span of this entity type. */
  label?: string;
  search?: string;
  offset?: number;
  limit?: number;
}

export function queryTokenDocuments(db: Database.Database, q: TokenQuery): TokenDocumentPage {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.annotated !== undefined) where.push(`t.annotated = ${q.annotated ? 1 : 0}`);
  if (q.search) {
    where.push(`d.text LIKE ? ESCAPE '\\'`);
    params.push(`%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (q.label) {
    where.push('d.id IN (SELECT s.document_id FROM entity_spans s JOIN labels l ON l.id = s.label_id WHERE l.name = ?)');
    params.push(q.label);
  }
  const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM documents d JOIN token_documents t ON t.document_id = d.id${filter}`).get(...params) as { n: number }).n;
  const rows = db.prepare(`${SELECT_WORDS}${filter} ORDER BY d.id LIMIT ? OFFSET ?`).all(...params, q.limit ?? 50, q.offset ?? 0) as WordsRow[];
  return { documents: rows.map((row) => toDocument(db, row)), total };
}

/**
 * Replaces a document's spans with these (made whole-word; overlaps and spans outside the text refused); `finished`
 * marks it done (it trains) or not done, and absent keeps its state, so work in progress is saved without training.
 * Entity types must exist in the taxonomy, so a typo never becomes a type of its own.
 */
export function setDocumentSpans(db: Database.Database, documentId: number, spans: EntitySpan[], author: string | null, finished?: boolean): TokenDocument {
  const current = tokenDocument(db, documentId);
  const clean = normaliseSpans(current.text, current.words, spans);
  if (typeof clean === 'string') throw new TaxonomyError(`Document ${documentId}: ${clean}.`);
  const labelIds = new Map((db.prepare('SELECT name, id FROM labels').all() as Array<{ name: string; id: number }>).map((l) => [l.name, l.id]));
  const unknown = clean.find((s) => !labelIds.has(s.label));
  if (unknown) throw new TaxonomyError(`No entity type "${unknown.label}" in this project; add it in Labels first.`);
  const now = new Date().toISOString();
  db.prepare('DELETE FROM entity_spans WHERE document_id = ?').run(documentId);
  const insert = db.prepare(`INSERT INTO entity_spans (document_id, start, end, label_id, source, author, created_at) VALUES (?, ?, ?, ?, 'manual', ?, ?)`);
  for (const span of clean) insert.run(documentId, span.start, span.end, labelIds.get(span.label)!, author, now);
  const annotated = finished ?? current.annotated;
  db.prepare('UPDATE token_documents SET annotated = ?, author = ?, updated_at = ? WHERE document_id = ?').run(annotated ? 1 : 0, author, now, documentId);
  if (tagSchemeOf(db) === null) db.prepare(`UPDATE projects SET tag_scheme = 'entities'`).run();
  return tokenDocument(db, documentId);
}

export function tokenReview(db: Database.Database): TokenReview {
  const counts = db.prepare('SELECT COUNT(*) AS documents, COALESCE(SUM(annotated), 0) AS annotated, COALESCE(SUM(CASE WHEN annotated = 1 THEN json_array_length(words) END), 0) AS words FROM token_documents').get() as {
    documents: number;
    annotated: number;
    words: number;
  };
  const types = db
    .prepare(
      `SELECT l.name AS label, COUNT(s.id) AS entities, COUNT(DISTINCT s.document_id) AS documents FROM labels l
         LEFT JOIN (SELECT s.* FROM entity_spans s JOIN token_documents t ON t.document_id = s.document_id AND t.annotated = 1) s ON s.label_id = l.id
        GROUP BY l.id ORDER BY entities DESC, l.ord`,
    )
    .all() as TokenReview['types'];
  // Words inside entities: counted from the stored words, since a span's length in words is not in the table.
  let entityWords = 0;
  for (const row of db.prepare(`SELECT t.words, s.start, s.end FROM entity_spans s JOIN token_documents t ON t.document_id = s.document_id WHERE t.annotated = 1`).iterate() as Iterable<{ words: string; start: number; end: number }>) {
    entityWords += (JSON.parse(row.words) as Array<[number, number]>).filter(([s, e]) => s >= row.start && e <= row.end).length;
  }
  return { scheme: tagSchemeOf(db) ?? 'entities', documents: counts.documents, annotated: counts.annotated, words: counts.words, entityWords, types };
}

export interface TrainingSentence {
  documentId: number;
  text: string;
  words: Array<[number, number]>;
  tokens: string[];
  tags: string[];
  /** Sentences of one source document share it, so a split never puts them on both sides. */
  document: number;
}

/** The finished documents as tagged sentences (IOB2 for entities), grouped by their source document. */
export function trainingSentences(db: Database.Database): TrainingSentence[] {
  const scheme = tagSchemeOf(db) ?? 'entities';
  const groups = new Map<string, number>();
  const rows = db.prepare(`${SELECT_WORDS} WHERE t.annotated = 1 ORDER BY d.id`).all() as WordsRow[];
  const metadata = db.prepare(`SELECT json_extract(metadata, '$.group') AS grp FROM documents WHERE id = ?`);
  return rows.map((row) => {
    const doc = toDocument(db, row);
    const group = (metadata.get(row.id) as { grp: string | null }).grp ?? `document ${row.id}`;
    if (!groups.has(group)) groups.set(group, groups.size);
    return { documentId: doc.id, text: doc.text, words: doc.words, tokens: doc.words.map(([s, e]) => doc.text.slice(s, e)), tags: spansToTags(doc.words, doc.spans, scheme), document: groups.get(group)! };
  });
}
