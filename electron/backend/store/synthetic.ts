// Synthetic minority examples in a project: generated candidates are documents annotated with source 'synthetic',
// with a synthetic_documents row (method, status, edited) and their parents in synthetic_parents (schema version 4).
// They train only once accepted; pending and rejected ones stay in the project (a rejected one is never generated
// again, since its near-duplicate key stays taken).
import type Database from 'better-sqlite3';
import type { SyntheticExample } from '../../../shared/api.js';
import type { AnnotationSource, SyntheticMethod, SyntheticStatus, TaskKind } from '../../../shared/domain.js';
import { generateCandidates, type SyntheticCandidate } from '../synthetic/augment.js';
import { getDocument } from './documents.js';
import { addDocuments, contentHash, nearDuplicateHash } from './importer.js';
import { isReal } from './real-documents.js';
import { labelId, TaxonomyError } from './taxonomy.js';

export const MAX_SYNTHETIC_PER_CALL = 200;
const SNIPPET_CHARS = 160;
/** Documents read for the inverse document frequencies of the distinctive-word method. */
const IDF_SAMPLE = 3000;


const snippet = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS - 1)}…` : flat;
};

function syntheticExample(db: Database.Database, documentId: number): SyntheticExample {
  const doc = getDocument(db, documentId);
  const synthetic = doc.synthetic;
  if (!synthetic) throw new TaxonomyError(`Document ${documentId} is not a synthetic example (it was imported or typed in).`);
  const textOf = db.prepare('SELECT text FROM documents WHERE id = ?');
  const parentSnippets = synthetic.parents.map((id) => {
    const row = textOf.get(id) as { text: string } | undefined;
    return { id, snippet: row ? snippet(row.text) : '(this document is no longer in the project)' };
  });
  return { ...doc, synthetic, parentSnippets };
}

/** Labels every parent carries (single-label: the class itself); multi-label candidates get only what all sources share. */
function sharedLabels(db: Database.Database, parents: number[]): string[] {
  const [first, ...rest] = parents.map((id) => getDocument(db, id).labels);
  return first.filter((label) => rest.every((labels) => labels.includes(label)));
}

/**
 * New pending candidates for `label`, made from its real documents. Without a seed, the seed is the number of
 * synthetic documents the class already has, so asking again gives new candidates rather than the same ones.
 */
export function generateSynthetic(
  db: Database.Database,
  task: TaskKind,
  request: { label: string; count: number; seed?: number },
): SyntheticExample[] {
  if (labelId(db, request.label) === undefined) throw new TaxonomyError(`No label "${request.label}" in this project.`);
  if (!Number.isInteger(request.count) || request.count < 1 || request.count > MAX_SYNTHETIC_PER_CALL) {
    throw new TaxonomyError(`The number of synthetic examples must be a whole number from 1 to ${MAX_SYNTHETIC_PER_CALL}, got ${request.count}.`);
  }
  const ofLabel = (real: boolean) =>
    db
      .prepare(
        `SELECT DISTINCT d.id, d.text FROM documents d JOIN annotations a ON a.document_id = d.id JOIN labels l ON l.id = a.label_id
          WHERE l.name = ? AND a.source != 'predicted' AND ${real ? isReal('d.id') : `NOT ${isReal('d.id')}`}
          ORDER BY d.id`,
      )
      .all(request.label) as Array<{ id: number; text: string }>;
  const classDocuments = ofLabel(true);
  if (classDocuments.length === 0) throw new TaxonomyError(`"${request.label}" has no labeled documents to make synthetic examples from.`);
  const takenKeys = new Set((db.prepare('SELECT near_dup_key AS key FROM documents').all() as Array<{ key: string }>).map((r) => r.key));
  // Document frequencies from an evenly spread sample: enough for a ranking, and generation stays ~1 s on big projects.
  const { n } = db.prepare('SELECT COUNT(*) AS n FROM documents').get() as { n: number };
  const step = Math.max(1, Math.ceil(n / IDF_SAMPLE));
  const backgroundTexts = (
    db.prepare(`SELECT text FROM documents WHERE ${isReal('id')} AND id % ? = 0`).all(step) as Array<{ text: string }>
  ).map((r) => r.text);
  const candidates = generateCandidates({
    classDocuments,
    backgroundTexts,
    count: request.count,
    seed: request.seed ?? ofLabel(false).length,
    isExistingNearDuplicate: (text) => takenKeys.has(nearDuplicateHash(text)),
  });
  return insertCandidates(db, task, request.label, candidates);
}

/**
 * Real documents of a class to show a language model, spread over the class (the seed picks the offset). Each
 * becomes a parent of what the model writes, so the leakage guard keeps those out of training when it is held out.
 */
export function promptDocuments(db: Database.Database, label: string, count: number, seed = 0): Array<{ id: number; text: string }> {
  if (labelId(db, label) === undefined) throw new TaxonomyError(`No label "${label}" in this project.`);
  const all = db
    .prepare(
      `SELECT DISTINCT d.id, d.text FROM documents d JOIN annotations a ON a.document_id = d.id JOIN labels l ON l.id = a.label_id
        WHERE l.name = ? AND a.source != 'predicted' AND ${isReal('d.id')} ORDER BY d.id`,
    )
    .all(label) as Array<{ id: number; text: string }>;
  if (all.length === 0) throw new TaxonomyError(`"${label}" has no labeled documents to show the language model.`);
  const step = Math.max(1, Math.floor(all.length / count));
  return Array.from({ length: Math.min(count, all.length) }, (_, k) => all[(seed + k * step) % all.length]);
}

/** Pending candidates written elsewhere (a language model): copies and near-copies of any document are dropped. */
export function addCandidates(db: Database.Database, task: TaskKind, label: string, texts: string[], parents: number[], method: SyntheticMethod): SyntheticExample[] {
  if (labelId(db, label) === undefined) throw new TaxonomyError(`No label "${label}" in this project.`);
  const taken = new Set((db.prepare('SELECT near_dup_key AS key FROM documents').all() as Array<{ key: string }>).map((r) => r.key));
  const fresh: SyntheticCandidate[] = [];
  for (const raw of texts) {
    const text = raw.normalize('NFC').trim();
    const key = nearDuplicateHash(text);
    if (!text || taken.has(key)) continue;
    taken.add(key);
    fresh.push({ text, method, parents });
  }
  return insertCandidates(db, task, label, fresh);
}

function insertCandidates(db: Database.Database, task: TaskKind, label: string, candidates: SyntheticCandidate[]): SyntheticExample[] {
  const items = candidates.map((c) => ({
    text: c.text,
    labels: task === 'single_label' ? [label] : sharedLabels(db, c.parents),
    sourceFile: 'synthetic',
    sourceRef: `${c.method} of ${c.parents.map((p) => `#${p}`).join(' + ')}`,
    metadata: {},
  }));
  const idOf = db.prepare('SELECT id FROM documents WHERE content_hash = ?');
  const ids = db.transaction(() => {
    addDocuments(db, task, items, 'synthetic');
    const provenance = db.prepare("INSERT INTO synthetic_documents (document_id, method, status) VALUES (?, ?, 'pending')");
    const parent = db.prepare('INSERT INTO synthetic_parents (document_id, position, parent_id) VALUES (?, ?, ?)');
    return items.map((item, k) => {
      const id = (idOf.get(contentHash(item.text)) as { id: number }).id;
      provenance.run(id, candidates[k].method);
      candidates[k].parents.forEach((p, position) => parent.run(id, position, p));
      return id;
    });
  })();
  return ids.map((id) => syntheticExample(db, id));
}

export function listSynthetic(db: Database.Database, filter: { status?: SyntheticStatus; label?: string } = {}): SyntheticExample[] {
  const rows = db
    .prepare(
      `SELECT s.document_id AS id FROM synthetic_documents s
        WHERE (? IS NULL OR s.status = ?)
          AND (? IS NULL OR EXISTS (SELECT 1 FROM annotations a JOIN labels l ON l.id = a.label_id
                                     WHERE a.document_id = s.document_id AND a.source != 'predicted' AND l.name = ?))
        ORDER BY s.document_id`,
    )
    .all(filter.status ?? null, filter.status ?? null, filter.label ?? null, filter.label ?? null) as Array<{ id: number }>;
  return rows.map((r) => syntheticExample(db, r.id));
}

/**
 * Accepts or rejects a candidate. Edited text replaces the generated one if it is not empty and not a (near-)copy of
 * another document in the project.
 */
export function reviewSynthetic(db: Database.Database, documentId: number, status: 'accepted' | 'rejected', text?: string, reviewer?: string): SyntheticExample {
  if (status !== 'accepted' && status !== 'rejected') throw new TaxonomyError(`A review is 'accepted' or 'rejected', not '${String(status)}'.`);
  const current = syntheticExample(db, documentId);
  const edited = text?.normalize('NFC').trim();
  db.transaction(() => {
    if (edited !== undefined && edited !== current.text) {
      if (!edited) throw new TaxonomyError(`Synthetic example ${documentId}: the edited text is empty.`);
      const clash = db
        .prepare('SELECT id FROM documents WHERE (content_hash = ? OR near_dup_key = ?) AND id != ? LIMIT 1')
        .get(contentHash(edited), nearDuplicateHash(edited), documentId) as { id: number } | undefined;
      if (clash) throw new TaxonomyError(`Synthetic example ${documentId}: the edited text is a copy of document ${clash.id}; change it more or reject it.`);
      db.prepare('UPDATE documents SET text = ?, content_hash = ?, near_dup_key = ? WHERE id = ?').run(
        edited,
        contentHash(edited),
        nearDuplicateHash(edited),
        documentId,
      );
      db.prepare('UPDATE synthetic_documents SET edited = 1 WHERE document_id = ?').run(documentId);
    }
    db.prepare('UPDATE synthetic_documents SET status = ?, reviewer = COALESCE(?, reviewer) WHERE document_id = ?').run(status, reviewer?.trim() || null, documentId);
  })();
  return syntheticExample(db, documentId);
}

/**
 * The training examples with synthetic documents reviewed: pending and rejected ones are left out, accepted ones are
 * marked 'synthetic' (whatever their annotations say) and carry their parents so training can check for leakage.
 */
export function withReviewedSynthetic<E extends { documentId: number; source: AnnotationSource }>(
  db: Database.Database,
  examples: E[],
): Array<E & { parents?: number[] }> {
  const status = new Map((db.prepare('SELECT document_id AS id, status FROM synthetic_documents').all() as Array<{ id: number; status: SyntheticStatus }>).map((r) => [r.id, r.status]));
  const parents = new Map<number, number[]>();
  for (const r of db.prepare('SELECT document_id AS id, parent_id AS parent FROM synthetic_parents ORDER BY document_id, position').all() as Array<{ id: number; parent: number }>) {
    parents.set(r.id, [...(parents.get(r.id) ?? []), r.parent]);
  }
  return examples.flatMap((example) => {
    const state = status.get(example.documentId);
    if (state === undefined) return [example];
    return state === 'accepted' ? [{ ...example, source: 'synthetic' as const, parents: parents.get(example.documentId) ?? [] }] : [];
  });
}
