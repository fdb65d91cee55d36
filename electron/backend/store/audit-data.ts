// What an audit pack says about a run's data, read from the project: every document of its split by content hash
// (never the text), the annotation history (who labeled what, when, from where), and the synthetic examples with
// their sources and review status.
import type Database from 'better-sqlite3';
import type { RunSplit } from './runs.js';

export interface AuditData {
  /** One row per document of the run's split: [document id, content sha256, 'train' | 'validation' | 'test']. */
  documents: Array<[number, string, string]>;
  /** [document id, label, source (imported, manual, predicted, synthetic), author, created at]. */
  annotations: Array<[number, string, string, string, string]>;
  /** [document id, method, status, edited, reviewer, parent ids joined by spaces]. */
  synthetic: Array<[number, string, string, string, string, string]>;
}

export function auditData(db: Database.Database, split: RunSplit): AuditData {
  const hashOf = db.prepare('SELECT content_hash AS hash FROM documents WHERE id = ?');
  const documents: AuditData['documents'] = [];
  for (const [role, ids] of [['train', split.train], ['validation', split.val], ['test', split.test]] as const) {
    for (const id of ids) {
      const row = hashOf.get(id) as { hash: string } | undefined;
      documents.push([id, row?.hash ?? '(deleted since the run)', role]);
    }
  }
  const annotations = (
    db
      .prepare(
        `SELECT a.document_id AS id, l.name AS label, a.source, COALESCE(a.author, '') AS author, a.created_at AS at
           FROM annotations a JOIN labels l ON l.id = a.label_id ORDER BY a.created_at, a.id`,
      )
      .all() as Array<{ id: number; label: string; source: string; author: string; at: string }>
  ).map((r): [number, string, string, string, string] => [r.id, r.label, r.source, r.author, r.at]);
  const synthetic = (
    db
      .prepare(
        `SELECT s.document_id AS id, s.method, s.status, s.edited, COALESCE(s.reviewer, '') AS reviewer,
                (SELECT group_concat(parent_id, ' ') FROM (SELECT parent_id FROM synthetic_parents p WHERE p.document_id = s.document_id ORDER BY position)) AS parents
           FROM synthetic_documents s ORDER BY s.document_id`,
      )
      .all() as Array<{ id: number; method: string; status: string; edited: number; reviewer: string; parents: string | null }>
  ).map((r): [number, string, string, string, string, string] => [r.id, r.method, r.status, r.edited ? 'yes' : 'no', r.reviewer, r.parents ?? '']);
  return { documents, annotations, synthetic };
}
