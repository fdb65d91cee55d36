// The imbalance review of a project: the figures are read from the store, the maths is shared/imbalance.ts.
// It describes the real data: synthetic examples (generated for small classes) are left out of every figure, so
// generating them never hides the imbalance that called for them.
import type Database from 'better-sqlite3';
import type { ImbalanceReview, TaskKind } from '../../shared/domain.js';
import { buildImbalanceReview } from '../../shared/imbalance.js';

/** Share of labeled documents the review assumes are held out for testing, as training does by default. */
export const DEFAULT_TEST_FRACTION = 0.2;

/** Documents `d` that are not synthetic. */
const REAL = `NOT EXISTS (SELECT 1 FROM annotations s WHERE s.document_id = d.id AND s.source = 'synthetic')`;

/** Documents `d` carrying at least one label (predictions are not labels). */
const LABELED = `EXISTS (SELECT 1 FROM annotations a WHERE a.document_id = d.id AND a.source != 'predicted')`;

const count = (db: Database.Database, sql: string): number => (db.prepare(sql).get() as { n: number | null }).n ?? 0;

export function reviewProject(db: Database.Database, task: TaskKind, testFraction = DEFAULT_TEST_FRACTION): ImbalanceReview {
  const classRows = db
    .prepare(
      `SELECT l.name, (SELECT COUNT(DISTINCT a.document_id) FROM annotations a JOIN documents d ON d.id = a.document_id
                        WHERE a.label_id = l.id AND a.source != 'predicted' AND ${REAL}) AS n
         FROM labels l ORDER BY l.ord, l.id`,
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
  return buildImbalanceReview({
    task,
    documents: count(db, `SELECT COUNT(*) AS n FROM documents d WHERE ${REAL}`),
    unlabeled: count(db, `SELECT COUNT(*) AS n FROM documents d WHERE ${REAL} AND NOT ${LABELED}`),
    classCounts: Object.fromEntries(classRows.map((r) => [r.name, r.n])),
    duplicateGroups: groups.groups,
    duplicateDocuments: groups.documents,
    conflictingGroups,
    exactDuplicatesSkipped: count(db, 'SELECT COUNT(*) AS n FROM skipped_duplicates'),
    emptySkipped: count(db, 'SELECT COUNT(*) AS n FROM skipped_empty'),
    testFraction,
  });
}
