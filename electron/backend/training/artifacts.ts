// The files a training run leaves in its output folder: metrics.json, predictions.csv and report.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { predictionsToCsv } from '../../../shared/csv.js';
import type { PredictionRow, RunMetrics } from '../../../shared/domain.js';

const fixed = (value: number): string => value.toFixed(3);

/** The per-class table every report shows: F1 first-class, support always beside it. */
export function perClassMarkdownTable(metrics: RunMetrics): string {
  const rows = metrics.labels.map((label) => {
    const m = metrics.per_class[label];
    const precision = m.undefinedPrecision ? 'undefined (never predicted)' : fixed(m.precision);
    const recall = m.undefinedRecall ? 'undefined (no test examples)' : fixed(m.recall);
    const interval = m.f1Interval ? `${fixed(m.f1Interval[0])}–${fixed(m.f1Interval[1])}` : '–';
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
    `- head: ${s.head}, up to ${s.epochs} epochs, seed ${s.seed}, backend ${s.backend}, encoder ${s.encoder}`,
  ];
  if (s.temperature !== undefined) lines.push(`- temperature (fitted on validation): ${s.temperature.toFixed(3)}`);
  if (s.auto) lines.push(`- chosen automatically because: ${s.auto.reason} (${s.auto.basis.join('; ')})`);
  return lines.join('\n');
}

export function renderReport(metrics: RunMetrics): string {
  const thresholds = metrics.thresholds
    ? ['## Decision thresholds (tuned on validation)', '', ...Object.entries(metrics.thresholds).map(([l, t]) => `- ${l}: ${t.toFixed(2)}`), ''].join('\n')
    : '';
  return [
    '# Training report',
    '',
    `**Macro-F1: ${fixed(metrics.f1_macro)}** on ${metrics.n_test} test documents (each class counts equally).`,
    '',
    perClassMarkdownTable(metrics),
    '',
    `Micro-F1 ${fixed(metrics.f1_micro)}, weighted F1 ${fixed(metrics.f1_weighted)}.`,
    '',
    `Accuracy${metrics.task === 'multi_label' ? ' (exact match of the whole label set)' : ''}: ${fixed(metrics.accuracy)}. ` +
      'Accuracy is not the headline: when one class dominates, a model that always predicts it scores high accuracy while missing every minority document.',
    '',
    confusionMarkdown(metrics),
    thresholds,
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
    `- seconds: embedding ${metrics.seconds.embed.toFixed(1)}, training ${metrics.seconds.train.toFixed(1)}, evaluation ${metrics.seconds.eval.toFixed(1)}`,
    '',
  ].join('\n');
}

export async function writeRunArtifacts(outDir: string, metrics: RunMetrics, predictions: PredictionRow[]): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files = {
    'metrics.json': JSON.stringify(metrics, null, 2) + '\n',
    'predictions.csv': predictionsToCsv(predictions, metrics.labels),
    'report.md': renderReport(metrics),
  };
  await Promise.all(Object.entries(files).map(([name, content]) => writeFile(join(outDir, name), content)));
  return Object.keys(files).map((name) => join(outDir, name));
}
