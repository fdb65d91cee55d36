// JSONL: one JSON object per line, streamed; a bad line is a failed item, the others still import.
import type { ImportOptions } from '../../../shared/domain.js';
import { encodingSwitchNotice, readSample, readUtf8Chunks, textEncodingOf, type DetectedEncoding } from './encoding.js';
import { chooseFields, parseLabels, type FieldChoice } from './fields.js';
import { SourceProblem, cleanText, issueEvent, type ImportEvent } from './types.js';

const GUESS_LINES = 50;

/** A field by exact name, else by dotted path ("meta.subject"). */
export function fieldValue(object: Record<string, unknown>, field: string): unknown {
  if (field in object) return object[field];
  let value: unknown = object;
  for (const part of field.split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A JSON value as the string a table cell would show. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export interface JsonLine {
  line: number;
  object?: Record<string, unknown>;
  /** Why the line is not an object. */
  error?: string;
}

/** Nesting deeper than this is refused: the record's fields are later copied recursively (metadata, cells). */
const MAX_NESTING = 512;

/** How deep objects and arrays nest in a JSON text, strings skipped; stops counting past `limit`. */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92 /* \ */) i++;
    } else if (c === 123 || c === 91 /* { [ */) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === 125 || c === 93 /* } ] */) depth--;
  }
  return deepest;
}

function parseLine(text: string, line: number): JsonLine {
  if (nestingDepth(text, MAX_NESTING) > MAX_NESTING) {
    return { line, error: `line ${line} nests objects or arrays more than ${MAX_NESTING} levels deep, which Finetune does not read` };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { line, error: `line ${line} is not a JSON object (found ${Array.isArray(value) ? 'an array' : JSON.stringify(value)?.slice(0, 40)})` };
    }
    return { line, object: value as Record<string, unknown> };
  } catch (error) {
    return { line, error: `invalid JSON on line ${line}: ${(error as Error).message}` };
  }
}

/** Non-blank lines of a JSONL file, parsed, in pages (one per 256 KB chunk). */
export async function* jsonLines(
  path: string,
  encoding: DetectedEncoding,
  signal: AbortSignal | undefined,
  onBytes: (bytesRead: number) => void = () => {},
  onEncodingSwitch?: (atByte: number, encoding: string) => void,
): AsyncGenerator<JsonLine[]> {
  let carry: Buffer = Buffer.alloc(0);
  let lineNumber = 0;
  const split = (bytes: Buffer, final: boolean): JsonLine[] => {
    const page: JsonLine[] = [];
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(10, start);
      // The text after the last newline waits for the next chunk, except at the end of the file.
      if (end === -1 && !(final && start < bytes.length)) break;
      const stop = end === -1 ? bytes.length : end;
      lineNumber++;
      const text = bytes.toString('utf8', start, stop).trim();
      if (text !== '') page.push(parseLine(text, lineNumber));
      start = stop + 1;
    }
    carry = start < bytes.length ? Buffer.from(bytes.subarray(start)) : Buffer.alloc(0);
    return page;
  };
  for await (const chunk of readUtf8Chunks(path, encoding, signal, onEncodingSwitch)) {
    onBytes(chunk.bytesRead);
    const page = split(carry.length ? Buffer.concat([carry, chunk.bytes]) : chunk.bytes, false);
    if (page.length) yield page;
  }
  const last = split(carry, true);
  if (last.length) yield last;
}

/** JSONL lines as records and issues, one page of events per 256 KB read. */
export async function* readJsonl(path: string, options: ImportOptions, signal?: AbortSignal): AsyncGenerator<ImportEvent[]> {
  const { sample, size } = await readSample(path);
  if (size === 0) throw new SourceProblem('failed', '', 'empty file (0 bytes)');
  const encoding = textEncodingOf(sample, options.encoding);
  yield [{ kind: 'progress', file: path, bytesDone: 0, bytesTotal: size }];
  let bytesDone = 0;
  let choice: FieldChoice | null = null;
  let pending: JsonLine[] = [];
  let objects = 0;
  let out: ImportEvent[] = [];

  const emit = (item: JsonLine) => {
    const where = String(item.line);
    if (!item.object) {
      out.push(issueEvent('failed', path, where, item.error!));
      return;
    }
    const { textField, labelField } = choice!;
    const textValue = fieldValue(item.object, textField);
    if (textValue === undefined) {
      out.push(issueEvent('skipped', path, where, `line ${item.line} has no field "${textField}"`));
      return;
    }
    const text = cleanText(cellText(textValue));
    if (text === '') {
      out.push(issueEvent('skipped', path, where, `empty text in field "${textField}"`));
      return;
    }
    const metadata: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item.object)) {
      if (key !== textField && key !== labelField) metadata[key] = value;
    }
    const labels = labelField === null ? null : parseLabels(fieldValue(item.object, labelField), options);
    out.push({ kind: 'record', record: { text, labels, sourceFile: path, sourceRef: where, metadata } });
  };
  const notice = (message: string) => out.push({ kind: 'notice', file: path, message });
  const decideFields = () => {
    const objectsSeen = pending.filter((item) => item.object).map((item) => item.object!);
    const names = [...new Set(objectsSeen.flatMap((object) => Object.keys(object)))];
    const rows = objectsSeen.map((object) => Object.fromEntries(names.map((name) => [name, cellText(object[name])])));
    // Dotted paths are only looked up when asked for, so add them to the names the choice can match.
    const asked = [options.textCol, options.labelCol].filter((field): field is string =>
      field !== undefined && !names.includes(field) && objectsSeen.some((object) => fieldValue(object, field) !== undefined));
    const result = chooseFields([...names, ...asked], rows, options, 'field');
    if (typeof result === 'string') {
      if (objectsSeen.length === 0) return;
      throw new SourceProblem('failed', '', `${result} (in the first ${objectsSeen.length} objects)`);
    }
    choice = result;
    result.notices.forEach(notice);
    pending.forEach(emit);
    pending = [];
  };
  const takePage = () => {
    const taken = out;
    out = [];
    return taken;
  };

  const onSwitch = (atByte: number, name: string) => notice(encodingSwitchNotice(atByte, name));
  for await (const lines of jsonLines(path, encoding, signal, (bytes) => { bytesDone = bytes; }, onSwitch)) {
    for (const item of lines) {
      if (item.object) objects++;
      if (choice !== null) emit(item);
      else {
        pending.push(item);
        if (objects >= GUESS_LINES) decideFields();
      }
    }
    out.push({ kind: 'progress', file: path, bytesDone, bytesTotal: size });
    yield takePage();
  }
  if (choice === null) {
    decideFields();
    // No object at all: every line was bad (or there were none).
    if (choice === null) {
      if (pending.length === 0) throw new SourceProblem('failed', '', 'empty file (only blank lines)');
      for (const item of pending) out.push(issueEvent('failed', path, String(item.line), item.error!));
    }
  }
  if (out.length) yield takePage();
}
