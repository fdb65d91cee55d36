import type { ImportIssue } from '../../../shared/domain.js';

export interface ImportRecord {
  /** The document text, cleaned (trimmed; e-mail: body only). */
  text: string;
  /** null = unlabeled; never [] (an empty label cell gives null); multi-label cells split by labelSep and trimmed. */
  labels: string[] | null;
  /** Absolute path of the file it came from. */
  sourceFile: string;
  /** 1-based data row for CSV/TSV (header excluded), the line number for JSONL, or the path inside a folder import. */
  sourceRef: string;
  /** Other columns/fields, e-mail subject/from/date, PDF page count... */
  metadata: Record<string, unknown>;
}

export type ImportEvent =
  | { kind: 'record'; record: ImportRecord }
  /** A skipped or failed item: file, where (row/path) and reason. */
  | { kind: 'issue'; issue: ImportIssue }
  | { kind: 'progress'; file: string; bytesDone: number; bytesTotal: number | null }
  /** Information worth showing, not a problem, e.g. which column was taken as the text. */
  | { kind: 'notice'; file: string; message: string };

/** A reason quotes parsers and file content, which can be any length: it is cut to one readable line's worth. */
const MAX_REASON = 400;
const clipReason = (reason: string) => (reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}… (${(reason.length - MAX_REASON).toLocaleString('en')} more characters)` : reason);

/**
 * Bad input found while reading a source. Parsers throw it; readSources turns it into an issue,
 * filling in the file (and the where, when the parser left it empty and the caller knows it).
 */
export class SourceProblem extends Error {
  readonly reason: string;

  constructor(
    readonly status: ImportIssue['status'],
    readonly where: string,
    reason: string,
  ) {
    super(clipReason(reason));
    this.reason = clipReason(reason);
    this.name = 'SourceProblem';
  }
}

/** Record text as stored: Windows and old Mac line endings made '\n', surrounding white space trimmed. */
export function cleanText(text: string): string {
  return (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text).trim();
}

export function issueEvent(status: ImportIssue['status'], file: string, where: string, reason: string): ImportEvent {
  return { kind: 'issue', issue: { status, file, where, reason: clipReason(reason) } };
}

/** One line for reports and the CLI: "<file> (row 7): <reason>". */
export function formatIssue(issue: ImportIssue): string {
  const where = issue.where === '' ? '' : /^\d+$/.test(issue.where) ? ` (row ${issue.where})` : ` (${issue.where})`;
  return `${issue.file}${where}: ${issue.status}: ${issue.reason}`;
}
