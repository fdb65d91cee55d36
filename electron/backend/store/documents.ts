// Documents and their labels: paging for the UI, manual labeling, and the examples a training run reads.
import type Database from 'better-sqlite3';
import type { AnnotationSource, DocumentInfo, DocumentPage, DocumentQuery, SyntheticProvenance, TaskKind } from '../../../shared/domain.js';
import { isListed } from './real-documents.js';
import { labelId, TaxonomyError } from './taxonomy.js';

/** A document's labels, predictions aside, in taxonomy order, as a JSON array. */
const LABELS_OF_DOCUMENT = `(SELECT json_group_array(name) FROM (
    SELECT DISTINCT l.name, l.ord FROM annotations a JOIN labels l ON l.id = a.label_id
     WHERE a.document_id = d.id AND a.source != 'predicted' ORDER BY l.ord, l.id))`;

interface DocumentRow {
  id: number;
  text: string;
  sourceFile: string;
  sourceRef: string;
  contentHash: string;
  metadata: string;
  labels: string;
  synthetic: string | null;
}

/** A synthetic example's provenance as JSON, or NULL for a real document. */
const PROVENANCE_OF_DOCUMENT = `(SELECT json_object('method', s.method, 'status', s.status, 'edited', s.edited, 'reviewer', s.reviewer,
    'parents', (SELECT json_group_array(parent_id) FROM (SELECT parent_id FROM synthetic_parents p WHERE p.document_id = s.document_id ORDER BY position)))
    FROM synthetic_documents s WHERE s.document_id = d.id)`;

const DOCUMENT_COLUMNS = `d.id, d.text, d.source_file AS sourceFile, d.source_ref AS sourceRef,
  d.content_hash AS contentHash, d.metadata, ${LABELS_OF_DOCUMENT} AS labels, ${PROVENANCE_OF_DOCUMENT} AS synthetic`;

type StoredProvenance = Omit<SyntheticProvenance, 'edited' | 'reviewer'> & { edited: 0 | 1; reviewer: string | null };

/** `edited` is stored 0/1 and shown only when the reviewer changed the text; `reviewer` only when there is one. */
const provenance = ({ edited, reviewer, ...rest }: StoredProvenance): SyntheticProvenance => ({ ...rest, ...(edited ? { edited: true } : {}), ...(reviewer ? { reviewer } : {}) });

function toDocumentInfo(row: DocumentRow): DocumentInfo {
  const { synthetic, ...rest } = row;
  return {
    ...rest,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    labels: JSON.parse(row.labels) as string[],
    ...(synthetic ? { synthetic: provenance(JSON.parse(synthetic) as StoredProvenance) } : {}),
  };
}

const MAX_PAGE = 1000;

export function queryDocuments(db: Database.Database, q: DocumentQuery): DocumentPage {
  const where: string[] = [isListed('d.id')];
  const params: unknown[] = [];
  if (q.search) {
    where.push(`d.text LIKE ? ESCAPE '\\'`);
    params.push(`%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (q.label === '') {
    where.push(`NOT EXISTS (SELECT 1 FROM annotations a WHERE a.document_id = d.id AND a.source != 'predicted')`);
  } else if (q.label !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM annotations a JOIN labels l ON l.id = a.label_id
                        WHERE a.document_id = d.id AND a.source != 'predicted' AND l.name = ?)`);
    params.push(q.label);
  }
  const filter = `WHERE ${where.join(' AND ')}`;
  const limit = Math.min(Math.max(q.limit ?? 50, 0), MAX_PAGE);
  const offset = Math.max(q.offset ?? 0, 0);
  const { total } = db.prepare(`SELECT COUNT(*) AS total FROM documents d ${filter}`).get(...params) as { total: number };
  const rows = db
    .prepare(`SELECT ${DOCUMENT_COLUMNS} FROM documents d ${filter} ORDER BY d.id LIMIT ? OFFSET ?`)
    .all(...params, limit, offset) as DocumentRow[];
  return { total, documents: rows.map(toDocumentInfo) };
}

export function getDocument(db: Database.Database, documentId: number): DocumentInfo {
  const row = db.prepare(`SELECT ${DOCUMENT_COLUMNS} FROM documents d WHERE d.id = ?`).get(documentId) as DocumentRow | undefined;
  if (!row) throw new TaxonomyError(`No document ${documentId} in this project.`);
  return toDocumentInfo(row);
}

/**
 * Makes `labels` the document's labels: annotations of other labels are removed (predictions aside), labels it
 * lacks are added as 'manual'. Imported annotations that stay keep their provenance.
 */
export function setDocumentLabels(
  db: Database.Database,
  task: TaskKind,
  documentId: number,
  labels: string[],
  author: string | null,
): DocumentInfo {
  const wanted = [...new Set(labels.map((l) => l.normalize('NFC').trim()))];
  if (task === 'single_label' && wanted.length > 1) {
    throw new TaxonomyError(`This project is single-label: document ${documentId} can carry one label, not ${wanted.length}.`);
  }
  getDocument(db, documentId); // refuses an unknown document
  const ids = wanted.map((name) => {
    const id = labelId(db, name);
    if (id === undefined) throw new TaxonomyError(`No label "${name}" in this project; add it first.`);
    return id;
  });
  db.transaction(() => {
    const keep = JSON.stringify(ids);
    db.prepare(
      `DELETE FROM annotations WHERE document_id = ? AND source != 'predicted'
         AND label_id NOT IN (SELECT value FROM json_each(?))`,
    ).run(documentId, keep);
    const insert = db.prepare(
      `INSERT INTO annotations (document_id, label_id, source, author, created_at)
       SELECT ?, ?, 'manual', ?, ? WHERE NOT EXISTS (
         SELECT 1 FROM annotations WHERE document_id = ? AND label_id = ? AND source != 'predicted')`,
    );
    const now = new Date().toISOString();
    for (const id of ids) insert.run(documentId, id, author, now, documentId, id);
  })();
  return getDocument(db, documentId);
}

export interface TrainingExample {
  documentId: number;
  text: string;
  contentHash: string;
  labels: string[];
  source: AnnotationSource;
  /** Pair projects: the document's second text, from the project's pair column. */
  pair?: string;
}

/**
 * Every labeled document with its labels (predictions are never training data). A document counts as 'synthetic'
 * if any of its labels is, so synthetic examples can be kept out of evaluation; else 'manual' beats 'imported'.
 */
export function trainingExamples(db: Database.Database, pairColumn: string | null = null): TrainingExample[] {
  const rows = db
    .prepare(
      `SELECT d.id AS documentId, d.text, d.content_hash AS contentHash, ${LABELS_OF_DOCUMENT} AS labels,
              json_extract(d.metadata, ?) AS pair,
              (SELECT CASE WHEN SUM(a.source = 'synthetic') > 0 THEN 'synthetic'
                           WHEN SUM(a.source = 'manual') > 0 THEN 'manual' ELSE 'imported' END
                 FROM annotations a WHERE a.document_id = d.id AND a.source != 'predicted') AS source
         FROM documents d
        WHERE EXISTS (SELECT 1 FROM annotations a WHERE a.document_id = d.id AND a.source != 'predicted')
        ORDER BY d.id`,
    )
    .all(pairColumn === null ? '$.__none__' : `$."${pairColumn.replace(/"/g, '')}"`) as Array<Omit<TrainingExample, 'labels' | 'pair'> & { labels: string; pair: unknown }>;
  return rows.map(({ pair, ...r }) => ({ ...r, labels: JSON.parse(r.labels) as string[], ...(typeof pair === 'string' && pair.trim() ? { pair } : {}) }));
}
