// Why a document got its label, by occlusion: the text is scored again with each window of words removed, and a
// window's weight is how much the label's lead falls without it (single-label: its probability minus the
// runner-up's; multi-label: its probability). Positive windows pushed the text towards the label, negative ones
// away from it. One measure for the whole model (encoder, word features and head alike), whatever it is.
import type { PredictionRow, TaskKind } from './domain.js';

export interface ExplainedSpan {
  /** Character offsets into the text. */
  start: number;
  end: number;
  /** Fall of the label's lead, in probability (0.2 = 20 points), when this span is removed. */
  weight: number;
}

export interface Explanation {
  label: string;
  /** Single-label: the runner-up the lead is measured against; multi-label: null (the label's own probability). */
  against: string | null;
  spans: ExplainedSpan[];
  /** A sentence pair: the spans of the second text, measured with the first text kept whole. */
  pairSpans?: ExplainedSpan[];
}

/** At most this many windows per document, so a long one costs as much as a short paragraph. */
export const MAX_WINDOWS = 48;

/** Each word, or for long texts runs of consecutive words, as character spans. */
export function occlusionWindows(text: string, maxWindows = MAX_WINDOWS): Array<{ start: number; end: number }> {
  const words = [...text.matchAll(/\S+/g)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const per = Math.max(1, Math.ceil(words.length / maxWindows));
  const windows: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < words.length; i += per) windows.push({ start: words[i].start, end: words[Math.min(words.length, i + per) - 1].end });
  return windows;
}

export const withoutSpan = (text: string, span: { start: number; end: number }): string => `${text.slice(0, span.start)} ${text.slice(span.end)}`;

function target(task: TaskKind, row: PredictionRow): { label: string; against: string | null } {
  const ranked = Object.entries(row.probabilities).sort((a, b) => b[1] - a[1]);
  const label = row.predicted[0] ?? ranked[0]?.[0] ?? '';
  return { label, against: task === 'single_label' ? (ranked.find(([l]) => l !== label)?.[0] ?? null) : null };
}

function lead(row: PredictionRow, t: { label: string; against: string | null }): number {
  return (row.probabilities[t.label] ?? 0) - (t.against ? (row.probabilities[t.against] ?? 0) : 0);
}

/** Explains each row (already predicted) with `predict`, the model that predicted it. */
export async function explainPredictions(task: TaskKind, rows: PredictionRow[], predict: (texts: string[]) => Promise<PredictionRow[]>, maxWindows = MAX_WINDOWS): Promise<PredictionRow[]> {
  const windows = rows.map((row) => occlusionWindows(row.text, maxWindows));
  const occluded = await predict(rows.flatMap((row, i) => windows[i].map((w) => withoutSpan(row.text, w))));
  let next = 0;
  return rows.map((row, i) => {
    const t = target(task, row);
    const base = lead(row, t);
    const spans = windows[i].map((w) => ({ ...w, weight: base - lead(occluded[next++], t) }));
    return { ...row, explanation: { ...t, spans } };
  });
}

/**
 * A pair's explanation: the first text's words occluded with the second kept whole, then the second's with the first
 * kept whole, both against the pair's own prediction.
 */
export async function explainPair(task: TaskKind, row: PredictionRow & { pair: string }, predict: (texts: string[], pairs: string[]) => Promise<PredictionRow[]>, maxWindows = MAX_WINDOWS): Promise<PredictionRow> {
  const [first] = await explainPredictions(task, [row], (texts) => predict(texts, texts.map(() => row.pair)), maxWindows);
  const [second] = await explainPredictions(task, [{ ...row, text: row.pair }], (pairs) => predict(pairs.map(() => row.text), pairs), maxWindows);
  return { ...first, explanation: { ...first.explanation!, pairSpans: second.explanation!.spans } };
}

/** The strongest spans, both ways, in words: `towards spam: "FREE" +31 pts; against: "meeting" -5 pts`. */
export function explanationSummary(text: string, e: Explanation, top = 3): string {
  const words = (spans: ExplainedSpan[]) => spans.map((s) => `"${text.slice(s.start, s.end)}" ${s.weight > 0 ? '+' : ''}${Math.round(s.weight * 100)} pts`).join(', ');
  const towards = e.spans.filter((s) => s.weight > 0.005).sort((a, b) => b.weight - a.weight).slice(0, top);
  const away = e.spans.filter((s) => s.weight < -0.005).sort((a, b) => a.weight - b.weight).slice(0, top);
  const parts = [`towards ${e.label}${e.against ? ` (over ${e.against})` : ''}: ${towards.length ? words(towards) : 'no single word matters much'}`];
  if (away.length) parts.push(`against: ${words(away)}`);
  return parts.join('; ');
}

/** What the highlights mean and what they do not, in one line (the app and the CLI say the same). */
export const EXPLANATION_MEANING =
  'Highlighted words are those whose removal most lowers the model\'s lead for its label (in points of probability); ' +
  'they show what this model relies on, not proof of why the document belongs to the class.';
