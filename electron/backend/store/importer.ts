// Writes what the parsers read into a project: one transaction per import, exact duplicates skipped and remembered,
// labels created in order of first appearance.
import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { ImportIssue, ImportOptions, ImportReport, ProjectTask } from '../../../shared/domain.js';
import { nearDuplicateKey } from '../../../shared/text.js';
import { formatOf, readSources, type ImportRecord } from '../import/index.js';
import { insertLabel, MAX_LABEL_LENGTH } from './taxonomy.js';
import { importTokenFiles } from './token-documents.js';

export interface ImportProgress {
  /** The source being read: a file, or a folder (whose figures then cover all its files). */
  file: string;
  /** Bytes read of that source. */
  done: number;
  /** Its size in bytes, null while unknown. */
  total: number | null;
  /** Documents imported so far in this import, all files together. */
  imported: number;
}

export class ImportError extends Error {
  override name = 'ImportError';
}

/** How many issues an import keeps in the project's import history; the returned report always has all of them. */
const STORED_ISSUES = 1000;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The identity of a text for exact-duplicate detection: sha256 of the NFC-normalised, trimmed text. */
export function contentHash(text: string): string {
  return sha256(text.normalize('NFC').trim());
}

/** A pair's identity: the same for (a, b) and (b, a), so a pair and its swap are one document and one item. */
export function pairContentHash(a: string, b: string): string {
  return sha256([a, b].sort().join('\u0000'));
}

/** The stored near-duplicate key (documents.near_dup_key): a hash of shared/text.ts nearDuplicateKey. */
export function nearDuplicateHash(text: string): string {
  return sha256(nearDuplicateKey(text)).slice(0, 32);
}

/** The parsers word a skipped empty document "empty text ..."; the review counts them. */
const isEmptyTextIssue = (issue: ImportIssue): boolean => issue.status === 'skipped' && /^empty text/i.test(issue.reason);

/** The reason given for a record whose very file and row were imported before. */
export const ALREADY_IMPORTED = 'already in the project (imported before)';

/**
 * Where the kept copy is, briefly: "row 12" in the same file ("line 12" in JSONL), "tickets.csv row 12" in another, the path inside the
 * imported folder ("ham/0001.eml") when both come from the same folder, else the kept file's full path.
 */
function keptPlace(kept: { file: string; ref: string }, record: ImportRecord): string {
  if (/^\d+$/.test(kept.ref)) {
    // JSONL places are line numbers, as the parsers' own messages say.
    const place = `${formatOf(kept.file) === 'jsonl' ? 'line' : 'row'} ${kept.ref}`;
    return kept.file === record.sourceFile ? place : `${basename(kept.file)} ${place}`;
  }
  const folderOf = (file: string, ref: string) => (ref && file.endsWith(ref) ? file.slice(0, file.length - ref.length) : null);
  const keptFolder = folderOf(kept.file, kept.ref);
  return keptFolder !== null && keptFolder === folderOf(record.sourceFile, record.sourceRef) ? kept.ref : kept.file;
}

const sameLabels = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

function cleanLabels(labels: string[] | null): string[] {
  const clean = (labels ?? []).map((l) => l.normalize('NFC').trim()).filter((l) => l.length > 0);
  return [...new Set(clean)];
}

/** Prepared once per import: the statements the per-record loop runs. */
function statements(db: Database.Database) {
  return {
    findByHash: db.prepare('SELECT id, source_file AS file, source_ref AS ref FROM documents WHERE content_hash = ?'),
    labelsOf: db.prepare(
      `SELECT DISTINCT l.name FROM annotations a JOIN labels l ON l.id = a.label_id
        WHERE a.document_id = ? AND a.source != 'predicted'`,
    ),
    insertDocument: db.prepare(
      `INSERT INTO documents (text, source_file, source_ref, content_hash, near_dup_key, metadata, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertAnnotation: db.prepare(
      'INSERT INTO annotations (document_id, label_id, source, author, created_at) VALUES (?, ?, ?, NULL, ?)',
    ),
    insertSkipped: db.prepare(
      // Once per place: importing the same file again does not count its copies again.
      `INSERT INTO skipped_duplicates (document_id, source_file, source_ref, labels, conflicting) SELECT @document, @file, @ref, @labels, @conflicting
        WHERE NOT EXISTS (SELECT 1 FROM skipped_duplicates WHERE source_file = @file AND source_ref = @ref)`,
    ),
    noteEmpty: db.prepare('INSERT OR IGNORE INTO skipped_empty (source_file, source_ref) VALUES (?, ?)'),
    insertImport: db.prepare(
      `INSERT INTO imports (finished_at, files, imported, skipped, failed, empty_skipped, issues)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
}

/** Adds records to the project inside the caller's transaction, skipping empty texts and exact duplicates. */
/** `pairCol`: the column of each record's second text, for a project of sentence pairs. */
export type RecordWriter = ReturnType<typeof recordWriter>;

function recordWriter(db: Database.Database, task: ProjectTask, source: 'imported' | 'manual' | 'synthetic', pairCol?: string) {
  const sql = statements(db);
  const labelIds = new Map((db.prepare('SELECT name, id FROM labels').all() as Array<{ name: string; id: number }>).map((l) => [l.name, l.id]));
  const report: ImportReport = { files: [], imported: 0, skipped: 0, failed: 0, issues: [], labelsCreated: [], seconds: 0 };
  const now = new Date().toISOString();
  let emptySkipped = 0;

  const addIssue = (issue: ImportIssue): void => {
    if (isEmptyTextIssue(issue)) {
      emptySkipped++;
      sql.noteEmpty.run(issue.file, issue.where);
    }
    report.issues.push(issue);
    if (issue.status === 'skipped') report.skipped++;
    else report.failed++;
  };

  const labelIdFor = (name: string): number => {
    let id = labelIds.get(name);
    if (id === undefined) {
      id = insertLabel(db, name);
      labelIds.set(name, id);
      report.labelsCreated.push(name);
    }
    return id;
  };

  /** The new document's id, or null when the record was skipped or refused (the report says why). */
  const addRecord = (record: ImportRecord): number | null => {
    const text = record.text.normalize('NFC').trim();
    const where = record.sourceRef;
    if (!text) {
      addIssue({ status: 'skipped', file: record.sourceFile, where, reason: 'empty text' });
      return null;
    }
    const labels = cleanLabels(record.labels);
    const tooLong = labels.find((label) => label.length > MAX_LABEL_LENGTH);
    if (tooLong !== undefined) {
      const reason = `a label of ${tooLong.length.toLocaleString('en')} characters ("${tooLong.slice(0, 40)}…"; at most ${MAX_LABEL_LENGTH}): is the label column the right one?`;
      addIssue({ status: 'failed', file: record.sourceFile, where, reason });
      return null;
    }
    if (task === 'single_label' && labels.length > 1) {
      addIssue({
        status: 'failed',
        file: record.sourceFile,
        where,
        reason: `${labels.length} labels (${labels.join(', ')}) but the project is single-label`,
      });
      return null;
    }
    // Sentence pairs: the pair is the document, so its identity and near-duplicate key are of both texts.
    const pair = pairCol ? String(record.metadata?.[pairCol] ?? '').normalize('NFC').trim() : '';
    const hash = pair ? pairContentHash(text, pair) : sha256(text);
    const existing = sql.findByHash.get(hash) as { id: number; file: string; ref: string } | undefined;
    if (existing) {
      const keptLabels = (sql.labelsOf.all(existing.id) as Array<{ name: string }>).map((l) => l.name);
      // A copy without labels loses nothing; a labeled copy whose labels differ is a conflict the review reports.
      const differs = labels.length > 0 && !sameLabels(labels, keptLabels);
      const show = (ls: string[]) => (ls.length ? ls.join(', ') : 'no label');
      // The same file and row imported again is not a copy of a document: it is that document.
      if (existing.file === record.sourceFile && existing.ref === where) {
        const reason = ALREADY_IMPORTED + (differs ? `; it keeps its labels (${show(keptLabels)}), the file now says ${show(labels)}` : '');
        addIssue({ status: 'skipped', file: record.sourceFile, where, reason });
        return null;
      }
      const reason =
        `same text as ${keptPlace(existing, record)}` +
        (differs ? ` but with different labels (${show(labels)} here, ${show(keptLabels)} there)` : '');
      sql.insertSkipped.run({ document: existing.id, file: record.sourceFile, ref: where, labels: JSON.stringify(labels), conflicting: differs ? 1 : 0 });
      addIssue({ status: 'skipped', file: record.sourceFile, where, reason });
      return null;
    }
    const key = pair ? sha256([nearDuplicateKey(text), nearDuplicateKey(pair)].sort().join('|')).slice(0, 32) : nearDuplicateHash(text);
    const documentId = Number(
      sql.insertDocument.run(text, record.sourceFile, where, hash, key, JSON.stringify(record.metadata ?? {}), now).lastInsertRowid,
    );
    for (const label of labels) sql.insertAnnotation.run(documentId, labelIdFor(label), source, now);
    report.imported++;
    return documentId;
  };

  /**
   * Completes the report (its files are the sources as given) and records the import in the project's history —
   * only when it added documents: an import that failed or added nothing leaves the project exactly as it was.
   */
  const finish = (started: number, sources: string[]): ImportReport => {
    report.files = sources;
    report.seconds = (performance.now() - started) / 1000;
    if (report.imported === 0) return report;
    sql.insertImport.run(
      new Date().toISOString(),
      JSON.stringify(report.files),
      report.imported,
      report.skipped,
      report.failed,
      emptySkipped,
      JSON.stringify(report.issues.slice(0, STORED_ISSUES)),
    );
    return report;
  };

  const addNotice = (notice: { file: string; message: string }): void => {
    report.notices = [...(report.notices ?? []), notice];
  };

  return { addRecord, addIssue, addNotice, labelIdFor, imported: () => report.imported, finish };
}

export async function importSources(
  db: Database.Database,
  task: ProjectTask,
  paths: string[],
  options: ImportOptions,
  onProgress?: (p: ImportProgress) => void,
  signal?: AbortSignal,
): Promise<ImportReport> {
  if (options.multiLabel && task === 'single_label') {
    throw new ImportError(
      'This project is single-label but the data is multi-label (--multi-label). ' +
        'Switch the project first: finetune project set-task --project <file> multi_label',
    );
  }
  if (paths.length === 0) throw new ImportError('Nothing to import: give at least one file or folder.');
  const started = performance.now();
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    throw new ImportError('The project is busy: another Finetune window or command is writing to it. Try again when it has finished.');
  }
  try {
    const writer = recordWriter(db, task, 'imported', options.pairCol);
    if (task === 'token') await importTokenFiles(db, writer, paths, onProgress, signal);
    else for await (const event of readSources(paths, options, signal)) {
      signal?.throwIfAborted();
      if (event.kind === 'record') writer.addRecord(event.record);
      else if (event.kind === 'issue') writer.addIssue(event.issue);
      else if (event.kind === 'notice') writer.addNotice({ file: event.file, message: event.message });
      else if (event.kind === 'progress') {
        onProgress?.({ file: event.file, done: event.bytesDone, total: event.bytesTotal, imported: writer.imported() });
      }
    }
    signal?.throwIfAborted();
    const report = writer.finish(started, paths);
    db.exec('COMMIT');
    return report;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

export interface NewDocument {
  text: string;
  labels?: string[];
  /** Where it came from, e.g. 'synthetic' or the name of the person who typed it. */
  sourceFile: string;
  sourceRef?: string;
  metadata?: Record<string, unknown>;
}

/** Adds documents typed or generated in the app (not read from files), in one transaction, with the same checks as an import. */
export function addDocuments(
  db: Database.Database,
  task: ProjectTask,
  items: NewDocument[],
  source: 'manual' | 'synthetic',
): ImportReport {
  const started = performance.now();
  return db.transaction(() => {
    const writer = recordWriter(db, task, source);
    items.forEach((item, index) =>
      writer.addRecord({
        text: item.text,
        labels: item.labels ?? null,
        sourceFile: item.sourceFile,
        sourceRef: item.sourceRef ?? String(index + 1),
        metadata: item.metadata ?? {},
      }),
    );
    return writer.finish(started, [...new Set(items.map((item) => item.sourceFile))]);
  }).immediate();
}
