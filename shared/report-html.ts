// The run's report as one self-contained HTML file (no scripts, no external files; the charts are inline SVG) that
// prints well to PDF: the verdict, the per-class table with intervals and support, the confusion matrix and the
// reliability diagram, how the model was trained and why, the data counts and the split seed. The app saves it
// from Results; `finetune report` writes it (and a PDF through a local Chromium).
import type { CalibrationBin, RunMetrics } from './domain.js';
import { verdictOf, type Light } from './verdict.js';

export interface ReportContext {
  /** e.g. "mail.ftproj, run 3"; shown under the title. */
  subject: string;
  /** When the report was made (ISO). */
  createdAt: string;
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number): string => `${Math.round(x * 100)}%`;
const LIGHT_WORDS: Record<Light, string> = { reliable: 'Reliable', care: 'Use with care', unreliable: 'Not reliable yet', too_few: 'Too few to tell' };
const LIGHT_COLOURS: Record<Light, string> = { reliable: '#1d7a3a', care: '#b7791f', unreliable: '#b42318', too_few: '#667085' };

function perClassTable(m: RunMetrics): string {
  const rows = m.labels.map((label) => {
    const c = m.per_class[label];
    const interval = c.tooFewToTell ? 'too few to tell' : c.f1Interval ? `${pct(c.f1Interval[0])}–${pct(c.f1Interval[1])}` : '–';
    return `<tr><th scope="row">${escape(label)}</th><td>${pct(c.f1)}</td><td>${interval}</td><td>${c.undefinedPrecision ? 'never predicted' : pct(c.precision)}</td>` +
      `<td>${c.undefinedRecall ? 'no test documents' : pct(c.recall)}</td><td>${c.support}${c.smallSupport ? ' (too few to trust)' : ''}</td></tr>`;
  });
  return `<table><caption>Per class, on the held-out test documents</caption><thead><tr><th scope="col">Class</th><th scope="col">F1</th>` +
    `<th scope="col">F1, 95% interval</th><th scope="col">Precision: right when it says so</th><th scope="col">Recall: found of all</th>` +
    `<th scope="col">Test documents</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Rows true, columns predicted; each cell's shade is its share of the row. */
function confusionSvg(m: RunMetrics): string {
  if (!m.confusion_matrix) return '';
  const { labels, matrix } = m.confusion_matrix;
  const cell = 44, left = 120, top = 80, n = labels.length;
  const width = left + n * cell + 10, height = top + n * cell + 10;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Confusion matrix: rows are the true class, columns the predicted class">`];
  labels.forEach((label, i) => {
    parts.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${escape(label.slice(0, 18))}</text>`);
    parts.push(`<text transform="translate(${left + i * cell + cell / 2 + 4},${top - 6}) rotate(-45)" font-size="11">${escape(label.slice(0, 18))}</text>`);
  });
  matrix.forEach((row, i) => {
    const total = Math.max(1, row.reduce((a, b) => a + b, 0));
    row.forEach((count, j) => {
      const share = count / total;
      const fill = i === j ? `rgba(29,122,58,${0.1 + 0.8 * share})` : `rgba(180,35,24,${count ? 0.1 + 0.8 * share : 0.03})`;
      parts.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"/>`);
      parts.push(`<text x="${left + j * cell + cell / 2 - 1}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="12">${count}</text>`);
    });
  });
  parts.push('</svg>');
  return `<figure>${parts.join('')}<figcaption>Confusion matrix: rows are the true class, columns the predicted class; green is right, red a mistake.</figcaption></figure>`;
}

/** Stated confidence against the share right, per bin; the diagonal is perfect calibration. */
function reliabilitySvg(bins: CalibrationBin[] | undefined, ece: number): string {
  const used = (bins ?? []).filter((b) => b.count > 0);
  if (used.length === 0) return '';
  const size = 240, pad = 30, span = size - 2 * pad;
  const x = (v: number) => pad + v * span, y = (v: number) => size - pad - v * span;
  const bars = used.map((b) => `<rect x="${x(b.lower)}" y="${y(b.accuracy)}" width="${Math.max(1, (b.upper - b.lower) * span - 1)}" height="${b.accuracy * span}" fill="rgba(36,80,200,0.55)"><title>${pct(b.lower)}–${pct(b.upper)}: ${pct(b.accuracy)} right of ${b.count}</title></rect>`);
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}" role="img" aria-label="Reliability diagram">` +
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#667085" stroke-dasharray="4 3"/>${bars.join('')}` +
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(0)}" stroke="#101828"/><line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(1)}" stroke="#101828"/>` +
    `<text x="${size / 2}" y="${size - 6}" text-anchor="middle" font-size="11">stated confidence</text>` +
    `<text transform="translate(11,${size / 2}) rotate(-90)" text-anchor="middle" font-size="11">share right</text></svg>` +
    `<figcaption>Reliability: bars on the dashed line mean the stated probabilities can be read as chances (expected calibration error ${ece.toFixed(3)}).</figcaption></figure>`;
}

function trainingList(m: RunMetrics): string {
  const s = m.strategy;
  const items = [
    `Strategy: <strong>${escape(s.name)}</strong> (loss ${escape(s.loss)}${s.weights ? `, ${escape(s.weights)} class weights` : ''}${s.gamma !== undefined ? `, gamma ${s.gamma}` : ''}, sampling ${escape(s.sampling)}).`,
    m.selection ? `How it was chosen: ${escape(m.selection.reason)}` : '',
    `Encoder ${escape(s.encoder)}, head ${escape(s.head)}, backend ${escape(s.backend)}.`,
    `Documents: ${m.n_train} to train, ${m.n_val} to validate, ${m.n_test} to test; split seed ${s.seed} (the same seed and data give the same split).`,
    m.synthetic ? `Synthetic examples: ${m.synthetic.used} used in training only; ${m.synthetic.droppedForLeakage} left out because a document they came from is in validation or test.` : '',
    m.train_counts ? `Training documents per class: ${Object.entries(m.train_counts).map(([l, c]) => `${escape(l)} ${c}`).join(', ')}.` : '',
  ].filter(Boolean);
  return `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

export function renderReportHtml(m: RunMetrics, context: ReportContext): string {
  const verdict = verdictOf(m, m.train_counts);
  const interval = m.f1_macro_interval ? ` (95% interval ${pct(m.f1_macro_interval[0])}–${pct(m.f1_macro_interval[1])})` : '';
  const lights = verdict.classes.map((c) => `<li><span class="light" style="background:${LIGHT_COLOURS[c.light]}"></span><strong>${escape(c.label)}</strong>: ${LIGHT_WORDS[c.light]} — ${escape(c.detail)}.</li>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Training report: ${escape(context.subject)}</title>
<style>
body { font: 14px/1.5 system-ui, sans-serif; color: #101828; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0; } h2 { font-size: 1.15rem; margin-top: 1.8rem; border-bottom: 1px solid #d0d5dd; }
.subject { color: #475467; margin-top: 0.2rem; } .verdict { font-size: 1.1rem; }
.lights { list-style: none; padding: 0; } .light { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 50%; margin-right: 0.5rem; vertical-align: -0.05rem; }
table { border-collapse: collapse; width: 100%; } caption { text-align: left; font-weight: 600; margin-bottom: 0.3rem; }
th, td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid #eaecf0; } thead th { font-size: 0.85rem; color: #475467; }
figure { margin: 1rem 0; break-inside: avoid; max-width: 24rem; } figcaption { color: #475467; font-size: 0.85rem; }
.charts { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table, figure { break-inside: avoid; } }
</style></head><body>
<h1>Training report</h1>
<p class="subject">${escape(context.subject)} · made ${escape(context.createdAt.slice(0, 16).replace('T', ' '))}</p>
<h2>Verdict</h2>
<p class="verdict"><strong>${escape(verdict.sentence)}</strong></p>
<ul class="lights">${lights.join('')}</ul>
<p>Macro-F1 ${pct(m.f1_macro)}${interval} on ${m.n_test} test documents: the mean of the classes' F1, so every class counts the same.
Accuracy (${pct(m.accuracy)}) is not the headline: when one class dominates, always answering it scores high accuracy and finds nothing else.</p>
<h2>Per class</h2>
${perClassTable(m)}
<h2>Mistakes and confidence</h2>
<div class="charts">${confusionSvg(m)}${reliabilitySvg(m.calibration, m.ece)}</div>
<h2>How it was trained</h2>
${trainingList(m)}
</body></html>
`;
}
