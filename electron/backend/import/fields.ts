// Choosing the text and label fields of tabular sources (CSV/TSV columns, JSONL fields) and reading labels.
import type { ImportOptions } from '../../../shared/domain.js';

const TEXT_NAMES = ['text', 'body', 'content', 'message', 'document'];
const LABEL_NAMES = ['label', 'labels', 'category', 'categories', 'class', 'tag', 'tags', 'target', 'topic'];

/** Exact name first, then a case- and space-insensitive match, so "Body " finds "body". */
export function findField(names: string[], wanted: string): string | null {
  if (names.includes(wanted)) return wanted;
  const key = wanted.trim().toLowerCase();
  return names.find((name) => name.trim().toLowerCase() === key) ?? null;
}

function findByNames(names: string[], candidates: string[]): string | null {
  for (const candidate of candidates) {
    const found = findField(names, candidate);
    if (found !== null) return found;
  }
  return null;
}

/** A field named like text, else the one with the longest average value in the sample rows. */
export function suggestTextField(names: string[], sampleRows: Record<string, string>[]): string | null {
  const named = findByNames(names, TEXT_NAMES);
  if (named !== null || names.length === 0) return named;
  let best: string | null = null;
  let bestLength = -1;
  for (const name of names) {
    const total = sampleRows.reduce((sum, row) => sum + (row[name]?.length ?? 0), 0);
    const average = sampleRows.length ? total / sampleRows.length : 0;
    if (average > bestLength) {
      best = name;
      bestLength = average;
    }
  }
  return best;
}

export function suggestLabelField(names: string[], textField: string | null): string | null {
  const named = findByNames(names.filter((name) => name !== textField), LABEL_NAMES);
  return named;
}

/** Names shown in a message: the first 20, then how many more (a message never lists thousands). */
const LISTED_NAMES = 20;
export function namesList(names: string[]): string {
  const shown = names.slice(0, LISTED_NAMES).map((name) => `"${name.length > 60 ? `${name.slice(0, 59)}…` : name}"`).join(', ');
  return names.length > LISTED_NAMES ? `${shown} and ${(names.length - LISTED_NAMES).toLocaleString('en-US')} more` : shown;
}

/** Where a file's text and labels come from, and the notices explaining any guess. */
export interface FieldChoice {
  textField: string;
  labelField: string | null;
  notices: string[];
}

/**
 * Resolves options.textCol/labelCol against the fields present. Returns a reason string when a field
 * asked for is absent, naming it and the fields present.
 */
export function chooseFields(
  names: string[],
  sampleRows: Record<string, string>[],
  options: ImportOptions,
  kind: 'column' | 'field',
): FieldChoice | string {
  const present = namesList(names);
  const notices: string[] = [];
  let textField: string | null;
  if (options.textCol !== undefined) {
    textField = findField(names, options.textCol);
    if (textField === null) return `text ${kind} "${options.textCol}" not found; the ${kind}s are: ${present}`;
  } else {
    textField = suggestTextField(names, sampleRows);
    if (textField === null) return `no ${kind}s found`;
    notices.push(`no text ${kind} given; using "${textField}" (the ${kind}s are: ${present})`);
  }
  let labelField: string | null = null;
  if (options.labelCol !== undefined) {
    labelField = findField(names, options.labelCol);
    if (labelField === null) return `label ${kind} "${options.labelCol}" not found; the ${kind}s are: ${present}`;
  } else {
    const suggested = suggestLabelField(names, textField);
    if (suggested !== null) notices.push(`no label ${kind} given, so documents are imported unlabeled; "${suggested}" looks like labels (--label-col ${/^[\w.-]+$/.test(suggested) ? suggested : JSON.stringify(suggested)})`);
  }
  return { textField, labelField, notices };
}

/** Labels from a cell or a JSON value: null when empty, split on labelSep for multi-label data. */
export function parseLabels(value: unknown, options: ImportOptions): string[] | null {
  if (value === null || value === undefined) return null;
  const separator = options.multiLabel ? (options.labelSep ?? '|') : null;
  const parts: string[] = [];
  const add = (item: unknown) => {
    if (item === null || item === undefined) return;
    const textValue = typeof item === 'string' ? item : typeof item === 'object' ? JSON.stringify(item) : String(item);
    const pieces = separator ? textValue.split(separator) : [textValue];
    for (const piece of pieces) {
      const label = piece.trim();
      if (label !== '' && !parts.includes(label)) parts.push(label);
    }
  };
  if (Array.isArray(value)) value.forEach(add);
  else add(value);
  return parts.length ? parts : null;
}
