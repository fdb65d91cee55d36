// The taxonomy of a project: its labels (name, description, order, colour) and the single/multi-label mode.
import type Database from 'better-sqlite3';
import type { LabelInfo, TaskKind } from '../../../shared/domain.js';
import { isListed } from './real-documents.js';
import { recordDelete, recordMerge, recordRename } from './taxonomy-history.js';

/** Colours given to new labels in turn (Tableau 10 plus two), readable on light and dark backgrounds. */
const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948',
  '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac', '#1f77b4', '#8c564b',
];

/**
 * The n-th label's colour: the palette first, then hues a golden angle apart at the palette's mid lightness, so a
 * 15-class project's chart has 15 different colours rather than the palette again.
 */
export function colourFor(n: number): string {
  if (n < PALETTE.length) return PALETTE[n];
  const hue = ((n - PALETTE.length) * 137.508 + 20) % 360;
  const [s, l] = [0.55, 0.45];
  const f = (k: number) => {
    const a = s * Math.min(l, 1 - l);
    const t = (k + hue / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(t - 3, 9 - t, 1))));
  };
  return `#${[f(0), f(8), f(4)].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

export class TaxonomyError extends Error {
  override name = 'TaxonomyError';
}

export function listLabels(db: Database.Database): LabelInfo[] {
  return db
    .prepare(
      `SELECT l.id, l.name, l.description, l.ord AS "order", l.colour,
              (SELECT COUNT(DISTINCT a.document_id) FROM annotations a JOIN documents d ON d.id = a.document_id
                WHERE a.label_id = l.id AND a.source != 'predicted' AND ${isListed('d.id')})
              + (SELECT COUNT(DISTINCT s.document_id) FROM entity_spans s WHERE s.label_id = l.id) AS count
         FROM labels l ORDER BY l.ord, l.id`,
    )
    .all() as LabelInfo[];
}

export function labelId(db: Database.Database, name: string): number | undefined {
  const row = db.prepare('SELECT id FROM labels WHERE name = ?').get(name) as { id: number } | undefined;
  return row?.id;
}

function requireLabel(db: Database.Database, name: string): number {
  const id = labelId(db, name);
  if (id !== undefined) return id;
  const known = listLabels(db).map((l) => `"${l.name}"`);
  throw new TaxonomyError(`No label "${name}" in this project (labels: ${known.length ? known.join(', ') : 'none yet'}).`);
}

/** A label is a name people read in lists and reports; a longer "label" is text from the wrong column. */
export const MAX_LABEL_LENGTH = 200;

function cleanName(name: string): string {
  const trimmed = name.normalize('NFC').trim();
  if (!trimmed) throw new TaxonomyError('A label name cannot be empty.');
  if (trimmed.length > MAX_LABEL_LENGTH) throw new TaxonomyError(`Label name too long (${trimmed.length} characters, at most ${MAX_LABEL_LENGTH}).`);
  return trimmed;
}

function checkColour(colour: string): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(colour)) throw new TaxonomyError(`Colour "${colour}" is not of the form #rrggbb.`);
  return colour.toLowerCase();
}

/** Creates the label (placed last, next palette colour) and returns its id; the name must be new and already clean. */
export function insertLabel(db: Database.Database, name: string, opts: { description?: string; colour?: string } = {}): number {
  const { next, count } = db.prepare('SELECT COALESCE(MAX(ord), -1) + 1 AS next, COUNT(*) AS count FROM labels').get() as {
    next: number;
    count: number;
  };
  const colour = opts.colour ? checkColour(opts.colour) : colourFor(count);
  const info = db
    .prepare('INSERT INTO labels (name, description, ord, colour) VALUES (?, ?, ?, ?)')
    .run(name, opts.description?.trim() ?? '', next, colour);
  return Number(info.lastInsertRowid);
}

export function addLabel(db: Database.Database, name: string, opts: { description?: string; colour?: string } = {}): LabelInfo[] {
  const clean = cleanName(name);
  if (labelId(db, clean) !== undefined) throw new TaxonomyError(`Label "${clean}" already exists.`);
  insertLabel(db, clean, opts);
  return listLabels(db);
}

export function renameLabel(db: Database.Database, from: string, to: string): LabelInfo[] {
  const id = requireLabel(db, from);
  const clean = cleanName(to);
  if (clean === from) return listLabels(db);
  if (labelId(db, clean) !== undefined) {
    throw new TaxonomyError(`Label "${clean}" already exists; use merge to move "${from}" into it.`);
  }
  recordRename(db, id, from, clean);
  db.prepare('UPDATE labels SET name = ? WHERE id = ?').run(clean, id);
  return listLabels(db);
}

/** Moves every annotation of `from` to `into` (a document never carries `into` twice from one source), then deletes `from`. */
export function mergeLabels(db: Database.Database, from: string, into: string): LabelInfo[] {
  const fromId = requireLabel(db, from);
  const intoId = requireLabel(db, into);
  if (fromId === intoId) throw new TaxonomyError(`Cannot merge label "${from}" into itself.`);
  db.transaction(() => {
    recordMerge(db, fromId, intoId);
    // Rows that would duplicate an existing (document, into, source) annotation stay behind and go with the label.
    db.prepare('UPDATE OR IGNORE annotations SET label_id = ? WHERE label_id = ?').run(intoId, fromId);
    // Entity spans never overlap within a document, so every one can move.
    db.prepare('UPDATE entity_spans SET label_id = ? WHERE label_id = ?').run(intoId, fromId);
    db.prepare('DELETE FROM labels WHERE id = ?').run(fromId);
  })();
  return listLabels(db);
}

export function deleteLabel(
  db: Database.Database,
  name: string,
): { labels: LabelInfo[]; annotationsRemoved: number; documentsLeftUnlabeled: number } {
  const id = requireLabel(db, name);
  return db.transaction(() => {
    const { annotationsRemoved } = db
      .prepare('SELECT (SELECT COUNT(*) FROM annotations WHERE label_id = ?) + (SELECT COUNT(*) FROM entity_spans WHERE label_id = ?) AS annotationsRemoved')
      .get(id, id) as { annotationsRemoved: number };
    const { documentsLeftUnlabeled } = db
      .prepare(
        `SELECT COUNT(DISTINCT a.document_id) AS documentsLeftUnlabeled FROM annotations a
          WHERE a.label_id = ? AND a.source != 'predicted'
            AND NOT EXISTS (SELECT 1 FROM annotations o
                             WHERE o.document_id = a.document_id AND o.label_id != a.label_id AND o.source != 'predicted')`,
      )
      .get(id) as { documentsLeftUnlabeled: number };
    recordDelete(db, id);
    db.prepare('DELETE FROM labels WHERE id = ?').run(id); // annotations follow by ON DELETE CASCADE
    return { labels: listLabels(db), annotationsRemoved, documentsLeftUnlabeled };
  })();
}

export function describeLabel(db: Database.Database, name: string, description: string): LabelInfo[] {
  const id = requireLabel(db, name);
  db.prepare('UPDATE labels SET description = ? WHERE id = ?').run(description.trim(), id);
  return listLabels(db);
}

/** Number of documents carrying more than one label (predictions aside). */
export function documentsWithSeveralLabels(db: Database.Database): number {
  const row = db
    .prepare(
      `SELECT COUNT(*) AS n FROM (SELECT document_id FROM annotations WHERE source != 'predicted'
         GROUP BY document_id HAVING COUNT(DISTINCT label_id) > 1)`,
    )
    .get() as { n: number };
  return row.n;
}

export function setTask(db: Database.Database, task: TaskKind): void {
  if (task !== 'single_label' && task !== 'multi_label') {
    throw new TaxonomyError(`Unknown task "${String(task)}": use single_label or multi_label.`);
  }
  const { current } = db.prepare('SELECT task AS current FROM projects ORDER BY id LIMIT 1').get() as { current: string };
  if (current === 'token') throw new TaxonomyError('This project marks words (a token task); its documents have no labels of their own. Create a new project for labels of whole documents.');
  if (task === 'single_label') {
    const several = documentsWithSeveralLabels(db);
    if (several > 0) {
      throw new TaxonomyError(
        `Cannot switch to single-label: ${several} document${several === 1 ? ' has' : 's have'} more than one label. ` +
          'Leave one label on each first.',
      );
    }
  }
  db.prepare('UPDATE projects SET task = ?').run(task);
}
