// The taxonomy's undo history (schema 7): each rename, merge and delete is written with what it touched — the label
// row, the annotations and entity spans it moved or removed — in the same transaction as the change, and undone
// newest first by putting those rows back. Rows changed since (a document deleted, a label set again) are left as
// they are now: undo restores what the change took, never what came after it.
import type Database from 'better-sqlite3';
import type { TaxonomyChange } from '../../../shared/domain.js';
import type { LabelRename } from '../../../shared/renames.js';
import { TaxonomyError } from './taxonomy.js';

interface LabelRow {
  id: number;
  name: string;
  description: string;
  ord: number;
  colour: string;
}

interface AnnotationRow {
  id: number;
  document_id: number;
  label_id: number;
  source: string;
  author: string | null;
  created_at: string;
}

interface SpanRow {
  id: number;
  document_id: number;
  start: number;
  end: number;
  label_id: number;
  source: string;
  author: string | null;
  created_at: string;
}

type Payload =
  | { kind: 'rename'; labelId: number; from: string; to: string }
  | { kind: 'merge'; label: LabelRow; into: number; moved: number[]; removed: AnnotationRow[]; spans: number[] }
  | { kind: 'delete'; label: LabelRow; annotations: AnnotationRow[]; spans: SpanRow[] };

const labelRow = (db: Database.Database, id: number) => db.prepare('SELECT id, name, description, ord, colour FROM labels WHERE id = ?').get(id) as LabelRow;

function record(db: Database.Database, summary: string, payload: Payload): void {
  db.prepare('INSERT INTO taxonomy_changes (kind, summary, payload, created_at) VALUES (?, ?, ?, ?)').run(payload.kind, summary, JSON.stringify(payload), new Date().toISOString());
}

export function recordRename(db: Database.Database, labelId: number, from: string, to: string): void {
  record(db, `renamed "${from}" to "${to}"`, { kind: 'rename', labelId, from, to });
}

/** Call before the merge moves anything: which annotations will move, which will go with the label, which spans move. */
export function recordMerge(db: Database.Database, fromId: number, intoId: number): void {
  const label = labelRow(db, fromId);
  const rows = db.prepare('SELECT * FROM annotations WHERE label_id = ?').all(fromId) as AnnotationRow[];
  const taken = db.prepare('SELECT 1 FROM annotations WHERE document_id = ? AND label_id = ? AND source = ?');
  const moved: number[] = [];
  const removed: AnnotationRow[] = [];
  for (const row of rows) {
    if (taken.get(row.document_id, intoId, row.source)) removed.push(row);
    else moved.push(row.id);
  }
  const spans = (db.prepare('SELECT id FROM entity_spans WHERE label_id = ?').all(fromId) as Array<{ id: number }>).map((r) => r.id);
  record(db, `merged "${label.name}" into "${labelRow(db, intoId).name}"`, { kind: 'merge', label, into: intoId, moved, removed, spans });
}

export function recordDelete(db: Database.Database, labelId: number): void {
  const label = labelRow(db, labelId);
  const annotations = db.prepare('SELECT * FROM annotations WHERE label_id = ?').all(labelId) as AnnotationRow[];
  const spans = db.prepare('SELECT * FROM entity_spans WHERE label_id = ?').all(labelId) as SpanRow[];
  record(db, `deleted "${label.name}"`, { kind: 'delete', label, annotations, spans });
}

function restoreLabel(db: Database.Database, label: LabelRow): void {
  if (db.prepare('SELECT 1 FROM labels WHERE name = ?').get(label.name)) {
    throw new TaxonomyError(`Cannot undo: a label "${label.name}" exists again; rename or merge it first.`);
  }
  db.prepare('INSERT INTO labels (id, name, description, ord, colour) VALUES (@id, @name, @description, @ord, @colour)').run(label);
}

function restoreAnnotations(db: Database.Database, rows: AnnotationRow[]): void {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO annotations (id, document_id, label_id, source, author, created_at)
     SELECT @id, @document_id, @label_id, @source, @author, @created_at WHERE EXISTS (SELECT 1 FROM documents WHERE id = @document_id)`,
  );
  for (const row of rows) insert.run(row);
}

/** The renames not undone, oldest first, for mapping a run's label names to today's (shared/renames.ts). */
export function renames(db: Database.Database): LabelRename[] {
  return (db.prepare(`SELECT payload, created_at AS at FROM taxonomy_changes WHERE kind = 'rename' AND undone = 0 ORDER BY id`).all() as Array<{ payload: string; at: string }>).map((row) => {
    const { from, to } = JSON.parse(row.payload) as { from: string; to: string };
    return { from, to, at: row.at };
  });
}

/** The newest change not yet undone, or null. */
export function lastChange(db: Database.Database): TaxonomyChange | null {
  const row = db.prepare('SELECT id, kind, summary, created_at AS createdAt FROM taxonomy_changes WHERE undone = 0 ORDER BY id DESC LIMIT 1').get() as TaxonomyChange | undefined;
  return row ?? null;
}

/** Undoes the newest change not yet undone (inside the caller's transaction); returns what was undone. */
export function undoLast(db: Database.Database): TaxonomyChange {
  const change = lastChange(db);
  if (!change) throw new TaxonomyError('There is no label change to undo.');
  const payload = JSON.parse((db.prepare('SELECT payload FROM taxonomy_changes WHERE id = ?').get(change.id) as { payload: string }).payload) as Payload;
  if (payload.kind === 'rename') {
    const current = db.prepare('SELECT name FROM labels WHERE id = ?').get(payload.labelId) as { name: string } | undefined;
    if (!current) throw new TaxonomyError(`Cannot undo the rename: "${payload.to}" no longer exists.`);
    if (db.prepare('SELECT 1 FROM labels WHERE name = ? AND id != ?').get(payload.from, payload.labelId)) {
      throw new TaxonomyError(`Cannot undo the rename: a label "${payload.from}" exists again; rename or merge it first.`);
    }
    db.prepare('UPDATE labels SET name = ? WHERE id = ?').run(payload.from, payload.labelId);
  } else if (payload.kind === 'merge') {
    restoreLabel(db, payload.label);
    const back = db.prepare('UPDATE OR IGNORE annotations SET label_id = ? WHERE id = ? AND label_id = ?');
    for (const id of payload.moved) back.run(payload.label.id, id, payload.into);
    restoreAnnotations(db, payload.removed);
    const span = db.prepare('UPDATE entity_spans SET label_id = ? WHERE id = ? AND label_id = ?');
    for (const id of payload.spans) span.run(payload.label.id, id, payload.into);
  } else {
    restoreLabel(db, payload.label);
    restoreAnnotations(db, payload.annotations);
    const insert = db.prepare(
      `INSERT OR IGNORE INTO entity_spans (id, document_id, start, end, label_id, source, author, created_at)
       SELECT @id, @document_id, @start, @end, @label_id, @source, @author, @created_at WHERE EXISTS (SELECT 1 FROM documents WHERE id = @document_id)`,
    );
    for (const span of payload.spans) insert.run(span);
  }
  db.prepare('UPDATE taxonomy_changes SET undone = 1 WHERE id = ?').run(change.id);
  return change;
}
