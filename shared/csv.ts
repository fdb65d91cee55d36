// CSV writing shared by the CLI, the app service and the renderer's "export predictions" button.
import { explanationSummary } from './explain.js';
import type { PredictionRow } from './domain.js';

/** The "why" cell: the first text's strongest words, and for a pair the second text's too. */
function whyOf(row: PredictionRow): string {
  const e = row.explanation;
  if (!e) return '';
  const first = explanationSummary(row.text, e);
  return e.pairSpans && row.pair !== undefined ? `${first}; in the second text: ${explanationSummary(row.pair, { ...e, spans: e.pairSpans })}` : first;
}

/** Quotes a field when it holds a delimiter, quote or line break (RFC 4180). */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: string[], rows: (string | number)[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** One row per document: (source), text, (true labels), predicted labels, then one probability column per class. */
export function predictionsToCsv(rows: PredictionRow[], labels: string[], labelSep = '|'): string {
  const withTruth = rows.some((row) => row.trueLabels !== undefined);
  const withSource = rows.some((row) => row.source !== undefined);
  const withWhy = rows.some((row) => row.explanation !== undefined);
  const withPair = rows.some((row) => row.pair !== undefined);
  const header = [...(withSource ? ['source'] : []), 'text', ...(withPair ? ['pair'] : []), ...(withTruth ? ['true'] : []), 'predicted', ...labels.map((label) => `p_${label}`), ...(withWhy ? ['why'] : [])];
  const body = rows.map((row) => [
    ...(withSource ? [row.source ?? ''] : []),
    row.text,
    ...(withPair ? [row.pair ?? ''] : []),
    ...(withTruth ? [(row.trueLabels ?? []).join(labelSep)] : []),
    row.predicted.join(labelSep),
    ...labels.map((label) => (row.probabilities[label] ?? 0).toFixed(6)),
    ...(withWhy ? [whyOf(row)] : []),
  ]);
  return toCsv(header, body);
}
