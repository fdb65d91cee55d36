// `finetune label-issues`: the labeled documents whose given label looks wrong, found by confident learning on
// out-of-fold probabilities (shared/label-issues.ts), most suspicious first. --json prints
// [{ documentId, given, suggested, score }]. Nothing is changed: relabel with `finetune labels set` or in the app.
import { Command } from 'commander';
import type { LabelIssuesReport } from '../training/worker-protocol.js';
import type { TrainJob } from '../training/job.js';
import { startLabelIssues } from '../training/worker-client.js';
import { runAnalysis } from './analysis.js';
import { settingsFrom, withTrainingDataOptions, type TrainingDataOptions } from './training-data.js';

interface LabelIssuesOptions extends TrainingDataOptions {
  json?: boolean;
  limit?: string;
}

export function labelIssuesCommand(): Command {
  return withTrainingDataOptions(new Command('label-issues').description('list labeled documents whose label looks wrong (confident learning on cross-validated predictions)'))
    .option('--json', 'print [{ documentId, given, suggested, score }] as JSON')
    .option('--limit <n>', 'show at most this many (default 50; with --json, all)')
    .action(async (opts: LabelIssuesOptions) => {
      process.exitCode = await runAnalysis(opts, settingsFrom(opts), 'Label check', (job, onProgress) => startLabelIssues(job, { onProgress }), (report, job) => describe(report, job, opts));
    });
}

function describe(report: LabelIssuesReport, job: TrainJob, opts: LabelIssuesOptions): string {
  const limit = opts.limit === undefined ? (opts.json ? Infinity : 50) : Math.max(1, Number(opts.limit) || 50);
  if (opts.json) {
    const listed = report.issues.slice(0, limit).map((i) => ({ documentId: i.id, given: i.given, suggested: i.suggested, score: i.score }));
    return `${JSON.stringify(listed, null, 2)}\n`;
  }
  const textOf = new Map(job.examples.map((e) => [e.id, e.text]));
  const lines = report.issues.slice(0, limit).map((i) => {
    const preview = (textOf.get(i.id) ?? '').replace(/\s+/g, ' ').slice(0, 90);
    return `#${i.id}  labeled ${i.given}, looks like ${i.suggested} (${Math.round(i.score * 100)} points more likely)\n    ${preview}`;
  });
  const share = report.documents ? ((report.issues.length / report.documents) * 100).toFixed(1) : '0';
  return [
    `${report.issues.length} of ${report.documents} labels look wrong (${share}%), most suspicious first${report.issues.length > limit ? `; the first ${limit} shown` : ''}.`,
    'Each document was predicted by a model trained without it; a label is listed when another class is clearly more likely than the given one.',
    '',
    ...lines,
    '',
  ].join('\n');
}
