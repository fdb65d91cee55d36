// The imbalance review of a project: the figures are read from the store, the maths is shared/imbalance.ts.
// It describes the real data: synthetic examples (generated for small classes) are left out of every figure, so
// generating them never hides the imbalance that called for them.
import type Database from 'better-sqlite3';
import type { ImbalanceReview, TaskKind } from '../../shared/domain.js';
import { buildImbalanceReview } from '../../shared/imbalance.js';
import { isReal } from './store/real-documents.js';

/** Share of labeled documents the review assumes are held out for testing, as training does by default. */
export const DEFAULT_TEST_FRACTION = 0.2;

/** Documents `d` that are not synthetic (a per-document EXISTS made the review of a million documents take 11 s). */
const REAL = isReal('d.id');

const count = (db: Database.Database, sql: string): number => (db.prepare(sql).get() as { n: number | null }).n ?? 0;

export function reviewProject(db: Database.Database, task: TaskKind, testFraction = DEFAULT_TEST_FRACTION): ImbalanceReview {
  // Each class's real documents, from one pass over the annotations (a document may carry a label twice: imported and manual).
  const classRows = db
    .prepare(
      `SELECT l.name, COALESCE(c.n, 0) AS n FROM labels l LEFT JOIN (
         SELECT label_id, COUNT(DISTINCT document_id) AS n FROM annotations
          WHERE source != 'predicted' AND ${isReal('document_id')} GROUP BY label_id) c ON c.label_id = l.id
        ORDER BY l.ord, l.id`,
    )
    .all() as Array<{ name: string; n: number }>;
  // Near-exact copies share a near_dup_key (exact copies were skipped at import).
  const groups = db
    .prepare(
      `SELECT COUNT(*) AS groups, COALESCE(SUM(size), 0) AS documents FROM (
         SELECT COUNT(*) AS size FROM documents d WHERE ${REAL} GROUP BY near_dup_key HAVING COUNT(*) > 1)`,
    )
    .get() as { groups: number; documents: number };
  // Conflicts: a skipped exact copy that carried other labels, or a near-duplicate group whose labels disagree.
  const conflictingGroups =
    count(db, 'SELECT COUNT(DISTINCT document_id) AS n FROM skipped_duplicates WHERE conflicting = 1') +
    count(
      db,
      `WITH grouped AS (SELECT near_dup_key FROM documents d WHERE ${REAL} GROUP BY near_dup_key HAVING COUNT(*) > 1),
            label_sets AS (
              SELECT d.near_dup_key AS groupKey,
                     (SELECT group_concat(label_id) FROM (
                        SELECT DISTINCT a.label_id FROM annotations a
                         WHERE a.document_id = d.id AND a.source != 'predicted' ORDER BY a.label_id)) AS labelSet
                FROM documents d WHERE ${REAL} AND d.near_dup_key IN grouped)
       SELECT COUNT(*) AS n FROM (SELECT groupKey FROM label_sets GROUP BY groupKey HAVING COUNT(DISTINCT labelSet) > 1)`,
    );
  const documents = count(db, `SELECT COUNT(*) AS n FROM documents d WHERE ${REAL}`);
  const labeled = count(db, `SELECT COUNT(DISTINCT document_id) AS n FROM annotations WHERE source != 'predicted' AND ${isReal('document_id')}`);
  return buildImbalanceReview({
    task,
    documents,
    unlabeled: documents - labeled,
    classCounts: Object.fromEntries(classRows.map((r) => [r.name, r.n])),
    duplicateGroups: groups.groups,
    duplicateDocuments: groups.documents,
    conflictingGroups,
    exactDuplicatesSkipped: count(db, 'SELECT COUNT(*) AS n FROM skipped_duplicates'),
    emptySkipped: count(db, 'SELECT COUNT(*) AS n FROM skipped_empty'),
    testFraction,
  });
}
