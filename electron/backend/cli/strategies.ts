// `finetune strategies`: the strategy search alone, on the training split (the test split is set aside, as in
// `train`). Prints a table of every candidate's cross-validated macro-F1 and per-class F1, with intervals, and the
// pick with its reason; --json prints { candidates, pick, ... } instead.
import { Command } from 'commander';
import type { Estimate, StrategySearchReport } from '../../../shared/domain.js';
import { startSearch } from '../training/worker-client.js';
import { runAnalysis } from './analysis.js';
import { settingsFrom, withTrainingDataOptions, type TrainingDataOptions } from './training-data.js';

interface StrategiesOptions extends TrainingDataOptions {
  json?: boolean;
}

export function strategiesCommand(): Command {
  return withTrainingDataOptions(new Command('strategies').description('measure every imbalance strategy by cross-validation on the training documents and say which is best'))
    .option('--json', 'print the evidence as JSON')
    .action(async (opts: StrategiesOptions) => {
      process.exitCode = await runStrategies(opts);
    });
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}` : '–');
const estimate = (e: Estimate & { tooFewToTell?: boolean }) => (e.tooFewToTell ? `${pct(e.mean)} (too few to tell)` : `${pct(e.mean)} [${pct(e.low)}–${pct(e.high)}]`);

export function strategiesTable(report: StrategySearchReport): string {
  const labels = Object.keys(report.candidates[0]?.per_class ?? {});
  const header = ['candidate', 'macro-F1 % [95%]', ...labels.map((l) => `${l} F1 %`)];
  const rows = report.candidates.map((c) => [`${c.name === report.pick.name ? '→ ' : '  '}${c.name}${c.repeats < report.repeats ? ' (1 repeat: clearly behind)' : ''}`, estimate(c.f1_macro), ...labels.map((l) => estimate(c.per_class[l]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  const r = report.regularization;
  return [
    `${report.folds}-fold cross-validation${report.repeats > 1 ? ` × ${report.repeats} repeats` : ''} on ${report.documents} training documents; ${r.words ? 'embedding + word features' : 'embedding alone (the word features did not help)'}, C = ${r.c}; ${report.seconds.toFixed(0)} s.`,
    '',
    line(header),
    ...rows.map(line),
    ...(report.notTried.length ? ['', `Not tried within the time budget: ${report.notTried.join(', ')}.`] : []),
    '',
    `Pick: ${report.pick.name}. ${report.pick.reason}`,
    '',
  ].join('\n');
}

function runStrategies(opts: StrategiesOptions): Promise<number> {
  const settings = { ...settingsFrom(opts), strategy: 'auto' as const, head: 'linear' as const };
  return runAnalysis(opts, settings, 'Strategy search', (job, onProgress) => startSearch(job, { onProgress }), (report) => (opts.json ? `${JSON.stringify(report, null, 2)}\n` : strategiesTable(report)));
}
