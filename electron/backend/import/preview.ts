// A quick look at a source before importing it: its format, columns, first rows and suggested columns.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ImportOptions } from '../../../shared/domain.js';
import type { ImportPreview } from '../../../shared/api.js';
import { delimitedLayout, delimitedRows, headerNames } from './delimited.js';
import { extractDocument, longDocumentNote } from './documents.js';
import { readSample, textEncodingOf } from './encoding.js';
import { findField, suggestLabelField, suggestTextField } from './fields.js';
import { listFolder, type FolderFile } from './folder.js';
import { cellText, jsonLines } from './jsonl.js';
import { describeFsError, formatOf } from './sources.js';
import { SourceProblem } from './types.js';

/** Preview cells are for reading, not for import: long texts are cut. */
const MAX_CELL_CHARS = 1000;

const cut = (text: string) => (text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS)}…` : text);

/** The columns asked for when present, else the guesses the import would make. */
function suggestions(columns: string[], rows: Record<string, string>[], options: ImportOptions) {
  const asked = (name: string | undefined) => (name === undefined ? null : findField(columns, name));
  const suggestedTextCol = asked(options.textCol) ?? suggestTextField(columns, rows);
  return { suggestedTextCol, suggestedLabelCol: asked(options.labelCol) ?? suggestLabelField(columns, suggestedTextCol) };
}

async function previewDelimited(path: string, options: ImportOptions, maxRows: number): Promise<ImportPreview> {
  const layout = await delimitedLayout(path, options);
  let columns: string[] | null = null;
  const rows: Record<string, string>[] = [];
  const warnings: string[] = [];
  try {
    for await (const page of delimitedRows(path, layout, undefined, () => {})) {
      for (const { fields } of page) {
        if (columns === null) columns = headerNames(fields);
        else if (rows.length < maxRows) rows.push(Object.fromEntries(columns.map((name, i) => [name, cut(fields[i] ?? '')])));
      }
      if (rows.length >= maxRows) break;
    }
  } catch (error) {
    // A broken quote further down: the preview shows what parsed and says where it stopped (the import reports it too).
    if (columns === null) throw error;
    const parse = error as { csvError?: { code?: string }; startLine?: number; message: string };
    const problem =
      parse.csvError?.code === 'CSV_QUOTE_NOT_CLOSED'
        ? `unterminated quote: a quoted field starting on line ${parse.startLine} is never closed`
        : error instanceof SourceProblem ? `${error.where ? `row ${error.where}: ` : ''}${error.reason}` : parse.message.replace(`${path}: `, '');
    warnings.push(`${problem}; the rows from there on cannot be read as they are`);
  }
  if (columns === null) throw new SourceProblem('failed', '', 'empty file (no header row)');
  const format = layout.delimiter === '\t' ? 'tsv' : 'csv';
  return { file: path, format, columns, rows, ...suggestions(columns, rows, options), ...(warnings.length ? { warnings } : {}) };
}

async function previewJsonl(path: string, options: ImportOptions, maxRows: number): Promise<ImportPreview> {
  const { sample, size } = await readSample(path);
  if (size === 0) throw new SourceProblem('failed', '', 'empty file (0 bytes)');
  const encoding = textEncodingOf(sample, options.encoding);
  const objects: Record<string, unknown>[] = [];
  for await (const page of jsonLines(path, encoding, undefined)) {
    for (const line of page) if (line.object && objects.length < maxRows) objects.push(line.object);
    if (objects.length >= maxRows) break;
  }
  const columns = [...new Set(objects.flatMap((object) => Object.keys(object)))];
  const rows = objects.map((object) => Object.fromEntries(columns.map((name) => [name, cut(cellText(object[name]))])));
  return { file: path, format: 'jsonl', columns, rows, ...suggestions(columns, rows, options) };
}

/** Takes files from each label in turn, so the preview shows every label early. */
function interleaveByLabel(files: FolderFile[], count: number): FolderFile[] {
  const groups = new Map<string | null, FolderFile[]>();
  for (const file of files) groups.set(file.label, [...(groups.get(file.label) ?? []), file]);
  const picked: FolderFile[] = [];
  for (let round = 0; picked.length < count && round < files.length; round++) {
    for (const group of groups.values()) if (round < group.length && picked.length < count) picked.push(group[round]);
  }
  return picked;
}

async function previewFolder(root: string, options: ImportOptions, maxRows: number): Promise<ImportPreview> {
  const files = await listFolder(root);
  if (files.length === 0) throw new SourceProblem('failed', '', 'empty folder (no files in it or its subfolders)');
  const rows: Record<string, string>[] = [];
  // Files that cannot be read are left out of the preview; the import reports them.
  for (const file of interleaveByLabel(files.filter((f) => formatOf(f.path) === 'document'), maxRows * 2)) {
    if (rows.length >= maxRows) break;
    const document = await extractDocument(file.path, options).catch(() => null);
    if (document && document.text !== '') rows.push({ text: cut(document.text), label: file.label ?? '' });
  }
  return { file: root, format: 'folder', columns: ['text', 'label'], rows, suggestedTextCol: 'text', suggestedLabelCol: 'label' };
}

async function previewDocument(path: string, options: ImportOptions): Promise<ImportPreview> {
  const document = await extractDocument(path, options);
  const note = longDocumentNote(document.text);
  return { file: path, format: 'file', columns: ['text'], rows: [{ text: cut(document.text) }], suggestedTextCol: 'text', suggestedLabelCol: null, ...(note ? { warnings: [note] } : {}) };
}

/** Rejects with an Error naming the file and the reason when the source cannot be read at all. */
export async function previewSource(path: string, options: ImportOptions = {}, maxRows = 20): Promise<ImportPreview> {
  const absolute = resolve(path);
  try {
    if ((await stat(absolute)).isDirectory()) return await previewFolder(absolute, options, maxRows);
    const format = formatOf(absolute);
    if (format === 'delimited') return await previewDelimited(absolute, options, maxRows);
    if (format === 'jsonl') return await previewJsonl(absolute, options, maxRows);
    return await previewDocument(absolute, options);
  } catch (error) {
    const reason = error instanceof SourceProblem
      ? error.reason
      : (error as NodeJS.ErrnoException).code ? describeFsError(error as NodeJS.ErrnoException) : (error as Error).message;
    throw new Error(`${absolute}: ${reason}`, { cause: error });
  }
}
