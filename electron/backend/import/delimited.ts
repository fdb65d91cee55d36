// CSV and TSV: streamed through csv-parse with backpressure (one 256 KB chunk at a time), the delimiter
// sniffed from the first lines, a header row required.
import { parse, type CsvError } from 'csv-parse';
import type { ImportOptions } from '../../../shared/domain.js';
import { decodeText, encodingSwitchNotice, readSample, readUtf8Chunks, textEncodingOf, type DetectedEncoding } from './encoding.js';
import { chooseFields, parseLabels, type FieldChoice } from './fields.js';
import { SourceProblem, cleanText, issueEvent, type ImportEvent } from './types.js';

export const DELIMITERS = [',', ';', '\t', '|'] as const;
const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };
/** A single field larger than this is almost always an unclosed quote swallowing the rest of the file. */
const MAX_FIELD_BYTES = 64 * 1024 * 1024;
/** Rows looked at before guessing the text column. */
const GUESS_ROWS = 50;
const SNIFF_RECORDS = 20;

/** Counts each candidate delimiter outside quotes in the first records; picks the most consistent one. */
export function sniffDelimiter(sample: string, preferTab: boolean): string {
  const counts = new Map<string, number[]>(DELIMITERS.map((d) => [d, [0]]));
  let inQuotes = false;
  let records = 0;
  for (let i = 0; i < sample.length && records < SNIFF_RECORDS; i++) {
    const char = sample[i];
    if (char === '"') inQuotes = !inQuotes;
    else if (!inQuotes && char === '\n') {
      records++;
      for (const list of counts.values()) list.push(0);
    } else if (!inQuotes && counts.has(char)) {
      const list = counts.get(char)!;
      list[list.length - 1]++;
    }
  }
  let best = preferTab ? '\t' : ',';
  let bestScore = -1;
  for (const delimiter of DELIMITERS) {
    // The last record may be cut by the end of the sample or be an empty trailing line.
    const perRecord = counts.get(delimiter)!.slice(0, Math.max(1, records));
    const header = perRecord[0];
    if (header === 0) continue;
    const consistency = perRecord.filter((count) => count === header).length / perRecord.length;
    const score = consistency * 1000 + Math.min(header, 999) + (preferTab && delimiter === '\t' ? 0.5 : 0);
    if (score > bestScore) {
      best = delimiter;
      bestScore = score;
    }
  }
  return best;
}

/** A table wider than this is refused: no real document table has it, and each row would hold every column. */
export const MAX_COLUMNS = 1000;

/**
 * Header names made usable: blanks become "column N", repeats get a suffix. Linear in the number of columns (each
 * base name remembers its next free suffix: a header of 40,000 copies of one name once took minutes).
 */
export function headerNames(fields: string[]): string[] {
  if (fields.length > MAX_COLUMNS) {
    throw new SourceProblem('failed', '', `the header row has ${fields.length.toLocaleString('en-US')} columns; Finetune reads tables of up to ${MAX_COLUMNS.toLocaleString('en-US')} (check the delimiter, or that this is a table)`);
  }
  const seen = new Set<string>();
  const nextSuffix = new Map<string, number>();
  return fields.map((field, i) => {
    const base = field.trim() || `column ${i + 1}`;
    let name = base;
    if (seen.has(name)) {
      let n = nextSuffix.get(base) ?? 2;
      while (seen.has(`${base}_${n}`)) n++;
      name = `${base}_${n}`;
      nextSuffix.set(base, n + 1);
    }
    seen.add(name);
    return name;
  });
}

/** A csv-parse error with the line on which the offending row starts. */
class RowParseError extends Error {
  constructor(readonly csvError: CsvError, readonly startLine: number) {
    super(csvError.message);
  }
}

interface ParsedRow {
  fields: string[];
  /** Line on which the row ends (1-based). */
  endLine: number;
  /** Lines [first, last] of a row that a badly closed quote ran over several lines; such a row is not imported. */
  brokenQuote?: [number, number];
}

/**
 * With relax_quotes, a quoted field whose closing quote is followed by text (`"never closed,a` then `"next",b` on
 * the next line) is read on, over the following lines, up to some later quote, and keeps its opening quote: rows
 * silently merge. A field that still starts with a quote and spans lines, in a row without any "" escape (the one
 * legitimate way to start a quoted value with a quote), is that case.
 */
function brokenQuoteLines(fields: string[], raw: string, endLine: number): [number, number] | undefined {
  const broken = fields.some((field) => field.charCodeAt(0) === 34 && field.includes('\n')) && !raw.includes('""');
  if (!broken) return undefined;
  const lines = raw.replace(/\r?\n$/, '').split('\n').length;
  return [endLine - lines + 1, endLine];
}

export interface DelimitedLayout {
  delimiter: string;
  encoding: DetectedEncoding;
}

/** Encoding and delimiter of a delimited file, from its first 64 KB. Throws SourceProblem for empty/binary files. */
export async function delimitedLayout(path: string, options: ImportOptions): Promise<DelimitedLayout & { size: number }> {
  const { sample, size } = await readSample(path);
  if (size === 0) throw new SourceProblem('failed', '', 'empty file (0 bytes)');
  const encoding = textEncodingOf(sample, options.encoding);
  const text = decodeText(sample, encoding.encoding);
  if (text.trim() === '') throw new SourceProblem('failed', '', 'empty file (only blank lines)');
  return { delimiter: sniffDelimiter(text, /\.tsv$/i.test(path)), encoding, size };
}

function quoteProblem(error: CsvError, dataRow: number, startLine: number, rowsRead: number): SourceProblem {
  const before = `${rowsRead} row${rowsRead === 1 ? '' : 's'} before it ${rowsRead === 1 ? 'was' : 'were'} read`;
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new SourceProblem('failed', String(dataRow),
      `unterminated quote: a quoted field in row ${dataRow} (starting on line ${startLine}) is never closed, so the rest of the file was read as one field. ` +
      `Add the missing closing " or write a " inside a quoted field as "". ${before}; nothing after it was.`);
  }
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    return new SourceProblem('failed', String(dataRow),
      `row ${dataRow} (starting on line ${startLine}) is larger than ${MAX_FIELD_BYTES / 1024 / 1024} MB, most likely because of an unclosed quote; ` +
      `check the quotes around line ${startLine}. ${before}; nothing after it was.`);
  }
  return new SourceProblem('failed', String(dataRow), `cannot parse row ${dataRow} (starting on line ${startLine}): ${error.message}. ${before}.`);
}

/**
 * Streams a delimited file's rows as pages of raw rows, pulling the next 256 KB only when the previous
 * page was consumed. Parser errors end the stream with a SourceProblem after the rows before them.
 */
export async function* delimitedRows(
  path: string,
  layout: DelimitedLayout,
  signal: AbortSignal | undefined,
  onBytes: (bytesRead: number) => void,
  onEncodingSwitch?: (atByte: number, encoding: string) => void,
): AsyncGenerator<ParsedRow[]> {
  let page: ParsedRow[] = [];
  let parseError: CsvError | null = null;
  let lastEmptyLines = 0;
  const parser = parse({
    delimiter: layout.delimiter,
    bom: true,
    relax_quotes: true,
    relax_column_count: true,
    raw: true,
    skip_empty_lines: true,
    max_record_size: MAX_FIELD_BYTES,
  });
  // Rows are taken from 'data', which csv-parse emits synchronously while parsing each written chunk, so
  // parser.info is still at the row's end, and the rows before a bad quote are kept (a stream that
  // errors drops what it still buffers, so the async iterator would lose them).
  parser.on('data', ({ record: fields, raw }: { record: string[]; raw: string }) => {
    const endLine = parser.info.lines;
    page.push({ fields, endLine, brokenQuote: brokenQuoteLines(fields, raw, endLine) });
    lastEmptyLines = parser.info.empty_lines;
  });
  parser.on('error', (error: CsvError) => { parseError ??= error; });
  const feed = (bytes?: Buffer) =>
    new Promise<void>((resolve) => {
      if (bytes) parser.write(bytes, (error) => { if (error) parseError ??= error as CsvError; resolve(); });
      else {
        parser.once('finish', resolve);
        parser.once('error', () => resolve());
        parser.end();
      }
    });
  const takePage = () => {
    const taken = page;
    page = [];
    return taken;
  };
  let lastLine = 0;
  for await (const chunk of readUtf8Chunks(path, layout.encoding, signal, onEncodingSwitch)) {
    await feed(chunk.bytes);
    onBytes(chunk.bytesRead);
    if (page.length) {
      lastLine = page[page.length - 1].endLine;
      yield takePage();
    }
    if (parseError) break;
  }
  if (!parseError) await feed();
  if (page.length) {
    lastLine = page[page.length - 1].endLine;
    yield takePage();
  }
  if (parseError) {
    const error = parseError as CsvError & { empty_lines?: number };
    const blankLines = Math.max(0, (error.empty_lines ?? lastEmptyLines) - lastEmptyLines);
    throw new RowParseError(error, lastLine + 1 + blankLines);
  }
}

/**
 * CSV/TSV rows as records and issues, one page of events per 256 KB read (pages keep the per-row cost to
 * plain function calls; only the outer iterator hands out single events).
 */
export async function* readDelimited(path: string, options: ImportOptions, signal?: AbortSignal): AsyncGenerator<ImportEvent[]> {
  const layout = await delimitedLayout(path, options);
  let bytesDone = 0;
  yield [{ kind: 'progress', file: path, bytesDone: 0, bytesTotal: layout.size }];
  let names: string[] | null = null;
  let choice: FieldChoice | null = null;
  let dataRow = 0;
  let rowsRead = 0;
  let pending: { row: number; parsed: ParsedRow }[] = [];
  let page: ImportEvent[] = [];

  const rowObject = (fields: string[]) => Object.fromEntries(names!.map((name, i) => [name, fields[i] ?? '']));
  const emit = (row: number, { fields, brokenQuote }: ParsedRow) => {
    const columns = names!;
    if (brokenQuote) {
      const [first, last] = brokenQuote;
      page.push(issueEvent('failed', path, String(row),
        `row ${row}: a quoted field opened on line ${first} is not closed properly (a " inside a quoted field must be written ""), ` +
        `so lines ${first}-${last} were read as this one row; it was skipped. Fix the quotes around line ${first}.`));
      return;
    }
    // A delimiter at the end of a data row (some exporters write one) only adds empty fields.
    if (fields.length > columns.length && fields.slice(columns.length).every((field) => field.trim() === '')) fields = fields.slice(0, columns.length);
    if (fields.length !== columns.length) {
      page.push(issueEvent('skipped', path, String(row),
        `row ${row} has ${fields.length} field${fields.length === 1 ? '' : 's'} but the header has ${columns.length}; check its quotes and delimiters`));
      return;
    }
    const { textField, labelField } = choice!;
    const metadata: Record<string, unknown> = {};
    let text = '';
    let labelCell: string | undefined;
    for (let i = 0; i < columns.length; i++) {
      if (columns[i] === textField) text = cleanText(fields[i]);
      else if (columns[i] === labelField) labelCell = fields[i];
      else metadata[columns[i]] = fields[i];
    }
    if (text === '') {
      page.push(issueEvent('skipped', path, String(row), `empty text in column "${textField}"`));
      return;
    }
    rowsRead++;
    page.push({ kind: 'record', record: { text, labels: parseLabels(labelCell, options), sourceFile: path, sourceRef: String(row), metadata } });
  };
  const notice = (message: string) => page.push({ kind: 'notice', file: path, message });
  const decideFields = () => {
    const result = chooseFields(names!, pending.slice(0, GUESS_ROWS).map((p) => rowObject(p.parsed.fields)), options, 'column');
    if (typeof result === 'string') throw new SourceProblem('failed', '', result);
    choice = result;
    result.notices.forEach(notice);
    if (names!.length === 1 && layout.delimiter !== '\t') {
      notice('only one column found; if this is wrong, check the delimiter (comma, semicolon, tab or pipe)');
    } else {
      notice(`delimiter: ${DELIMITER_NAMES[layout.delimiter]}; encoding: ${layout.encoding.encoding}`);
    }
    for (const p of pending) emit(p.row, p.parsed);
    pending = [];
  };
  const takePage = () => {
    const taken = page;
    page = [];
    return taken;
  };

  try {
    const onSwitch = (atByte: number, encoding: string) => notice(encodingSwitchNotice(atByte, encoding));
    for await (const rows of delimitedRows(path, layout, signal, (bytes) => { bytesDone = bytes; }, onSwitch)) {
      for (const row of rows) {
        if (names === null) {
          names = headerNames(row.fields);
          continue;
        }
        dataRow++;
        if (choice !== null) emit(dataRow, row);
        else {
          pending.push({ row: dataRow, parsed: row });
          if (pending.length >= GUESS_ROWS) decideFields();
        }
      }
      page.push({ kind: 'progress', file: path, bytesDone, bytesTotal: layout.size });
      yield takePage();
    }
  } catch (error) {
    if (!(error instanceof RowParseError)) throw error;
    if (names === null) {
      throw new SourceProblem('failed', '', `cannot read the header row (line 1): ${error.csvError.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted column name is never closed' : error.message}`);
    }
    if (choice === null) decideFields();
    yield takePage();
    throw quoteProblem(error.csvError, dataRow + 1, error.startLine, rowsRead);
  }
  if (names === null) throw new SourceProblem('failed', '', 'empty file (no header row)');
  if (dataRow === 0) throw new SourceProblem('failed', '', 'header row only, no data rows');
  if (choice === null) decideFields();
  if (page.length) yield takePage();
}
