// The files a training run leaves in its output folder: metrics.json, predictions.csv and report.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { predictionsToCsv } from '../../../shared/csv.js';
import type { PredictionRow, RunMetrics } from '../../../shared/domain.js';
import { renderReportHtml } from '../../../shared/report-html.js';
import { verdictOf } from '../../../shared/verdict.js';

const fixed = (value: number): string => value.toFixed(3);

/** The per-class table every report shows: F1 first-class, support always beside it. */
export function perClassMarkdownTable(metrics: RunMetrics): string {
  const rows = metrics.labels.map((label) => {
    const m = metrics.per_class[label];
    const precision = m.undefinedPrecision ? 'undefined (never predicted)' : fixed(m.precision);
    const recall = m.undefinedRecall ? 'undefined (no test examples)' : fixed(m.recall);
    const interval = m.tooFewToTell ? 'too few to tell' : m.f1Interval ? `${fixed(m.f1Interval[0])}–${fixed(m.f1Interval[1])}` : '–';
    const flag = m.smallSupport ? `only ${m.support} test documents: too few to trust` : '';
    return `| ${label} | ${precision} | ${recall} | ${fixed(m.f1)} | ${interval} | ${m.support} | ${flag} |`;
  });
  return ['| class | precision | recall | F1 | F1 95% interval | support | note |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

function confusionMarkdown(metrics: RunMetrics): string {
  if (!metrics.confusion_matrix) return '';
  const { labels, matrix } = metrics.confusion_matrix;
  const header = `| true \\ predicted | ${labels.join(' | ')} |`;
  const divider = `|---|${labels.map(() => '---').join('|')}|`;
  const rows = matrix.map((row, i) => `| ${labels[i]} | ${row.join(' | ')} |`);
  return ['## Confusion matrix', '', 'Rows are the true class, columns the predicted class.', '', header, divider, ...rows, ''].join('\n');
}

function strategyMarkdown(metrics: RunMetrics): string {
  const s = metrics.strategy;
  const lines = [
    `- strategy: **${s.name}** (loss ${s.loss}${s.gamma !== undefined ? `, gamma ${s.gamma}` : ''}${s.weights ? `, ${s.weights} class weights` : ''}, sampling ${s.sampling})`,
    `- head: ${s.head}${s.head === 'mlp' ? `, up to ${s.epochs} epochs` : `, fitted to convergence${s.regularization !== undefined ? ` with L2 strength C = ${s.regularization}` : ''}`}, seed ${s.seed}, backend ${s.backend}, encoder ${s.encoder}`,
    `- features: the sentence embedding${s.lexical?.enabled ? ` and ${s.lexical.features} word (TF-IDF) features` : ' alone'}`,
  ];
  if (s.temperature !== undefined) lines.push(`- calibration (held-out predictions): temperature ${s.temperature.toFixed(3)}${s.calibrationBias ? `, prior correction ${Object.entries(s.calibrationBias).map(([l, b]) => `${l} ${b >= 0 ? '+' : ''}${b.toFixed(2)}`).join(', ')}` : ''}`);
  lines.push(`- decisions: ${decisionWords(metrics)}`);
  if (metrics.selection) lines.push(`- how it was chosen: ${metrics.selection.reason}`);
  if (s.auto && !metrics.selection?.search) lines.push(`- the rule table's suggestion: ${s.auto.reason} (${s.auto.basis.join('; ')})`);
  return lines.join('\n');
}

/** The decision rule in plain words. */
export function decisionWords(metrics: RunMetrics): string {
  const d = metrics.strategy.decision;
  if (metrics.thresholds) return `a class is given when its probability reaches its threshold (${Object.entries(metrics.thresholds).map(([l, t]) => `${l} ${t.toFixed(2)}`).join(', ')})${d?.mode === 'costs' ? ', set from your costs' : d?.mode === 'tuned' ? ', tuned by cross-validation' : ''}`;
  if (!d?.scale || !d.shift) return 'the most probable class';
  const how = d.mode === 'costs' ? 'the class of least expected cost, from your costs' : d.mode === 'tuned' ? 'the class with the highest weighted probability (weights tuned by cross-validation for macro-F1)' : 'the most probable class before calibration';
  return `${how}: weights ${Object.entries(d.scale).map(([l, w]) => `${l} ${w.toFixed(3)}`).join(', ')}${Object.values(d.shift).some((x) => x !== 0) ? `, minus ${Object.entries(d.shift).map(([l, x]) => `${l} ${x.toFixed(3)}`).join(', ')}` : ''}`;
}

/** The search's candidates, best first (the pick marked), as a Markdown table. */
function searchMarkdown(metrics: RunMetrics): string {
  const search = metrics.selection?.search;
  if (!search) return '';
  const pct = (x: number) => (x * 100).toFixed(1);
  const labels = metrics.labels;
  const rows = search.candidates.map((c) => {
    const perClass = labels.map((l) => (c.per_class[l].tooFewToTell ? 'too few to tell' : `${pct(c.per_class[l].mean)} (${pct(c.per_class[l].low)}–${pct(c.per_class[l].high)})`));
    return `| ${c.name === search.pick.name ? '**→ ' + c.name + '**' : c.name} | ${pct(c.f1_macro.mean)} (${pct(c.f1_macro.low)}–${pct(c.f1_macro.high)}) | ${perClass.join(' | ')} |`;
  });
  return [
    '## The strategy search',
    '',
    `${search.folds}-fold cross-validation${search.repeats > 1 ? ` repeated ${search.repeats} times` : ''} on the ${search.documents} training documents (the test split was never read), ${search.seconds.toFixed(0)} s. Cross-validated F1 in %, with 95% intervals:`,
    '',
    `| candidate | macro-F1 | ${labels.join(' | ')} |`,
    `|---|---|${labels.map(() => '---').join('|')}|`,
    ...rows,
    '',
    ...(search.notTried.length ? [`Not tried within the time budget: ${search.notTried.join(', ')}.`, ''] : []),
    `**Pick:** ${search.pick.reason}`,
    '',
  ].join('\n');
}

export function renderReport(metrics: RunMetrics): string {
  const interval = metrics.f1_macro_interval ? ` (95% interval ${fixed(metrics.f1_macro_interval[0])}–${fixed(metrics.f1_macro_interval[1])})` : '';
  const review = metrics.review
    ? [
        '## What goes to a person',
        '',
        `With the review budget, ${metrics.review.toReview} of ${metrics.n_test} test documents (those less sure than ${fixed(metrics.review.confidenceBelow)}) go to a person. ` +
          `The ${metrics.review.automatic.documents} decided automatically score macro-F1 ${fixed(metrics.review.automatic.f1_macro)}: ` +
          Object.entries(metrics.review.automatic.per_class).map(([l, c]) => `${l} precision ${fixed(c.precision)}, recall ${fixed(c.recall)}`).join('; ') + '.',
        '',
      ].join('\n')
    : '';
  const verdict = verdictOf(metrics, metrics.train_counts);
  const light = { reliable: 'reliable', care: 'usable with care', unreliable: 'not reliable yet', too_few: 'too few to tell' } as const;
  return [
    '# Training report',
    '',
    `**${verdict.sentence}**`,
    '',
    ...verdict.classes.map((c) => `- ${c.label}: ${light[c.light]} — ${c.detail}.`),
    '',
    `Macro-F1: ${fixed(metrics.f1_macro)}${interval} on ${metrics.n_test} test documents (each class counts equally).`,
    '',
    perClassMarkdownTable(metrics),
    '',
    `Micro-F1 ${fixed(metrics.f1_micro)}, weighted F1 ${fixed(metrics.f1_weighted)}.`,
    '',
    `Accuracy${metrics.task === 'multi_label' ? ' (exact match of the whole label set)' : ''}: ${fixed(metrics.accuracy)}. ` +
      'Accuracy is not the headline: when one class dominates, a model that always predicts it scores high accuracy while missing every minority document.',
    '',
    confusionMarkdown(metrics),
    review,
    '## Calibration',
    '',
    `Expected calibration error (15 bins): ${fixed(metrics.ece)}. A value near 0 means the stated probabilities can be read as chances.`,
    '',
    '## How it was trained',
    '',
    strategyMarkdown(metrics),
    `- documents: ${metrics.n_train} train, ${metrics.n_val} validation, ${metrics.n_test} test (synthetic examples only ever in train)`,
    ...(metrics.synthetic
      ? [`- synthetic examples (accepted): ${metrics.synthetic.used} trained, ${metrics.synthetic.droppedForLeakage} left out because a document they were made from is in validation or test`]
      : []),
    `- seconds: embedding ${metrics.seconds.embed.toFixed(1)}, ${metrics.seconds.search ? `strategy search ${metrics.seconds.search.toFixed(1)}, ` : ''}training ${metrics.seconds.train.toFixed(1)}, evaluation ${metrics.seconds.eval.toFixed(1)}`,
    '',
    searchMarkdown(metrics),
  ].join('\n');
}

export async function writeRunArtifacts(outDir: string, metrics: RunMetrics, predictions: PredictionRow[]): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files = {
    'metrics.json': JSON.stringify(metrics, null, 2) + '\n',
    'predictions.csv': predictionsToCsv(predictions, metrics.labels),
    'report.md': renderReport(metrics),
    'report.html': renderReportHtml(metrics, { subject: basename(outDir), createdAt: new Date().toISOString() }),
  };
  await Promise.all(Object.entries(files).map(([name, content]) => writeFile(join(outDir, name), content)));
  return Object.keys(files).map((name) => join(outDir, name));
}
