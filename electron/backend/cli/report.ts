// `finetune report`: a run's report as one self-contained HTML file that prints well to PDF (shared/report-html.ts),
// and with --pdf the PDF itself, printed by a local Chromium or Chrome (no network).
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunMetrics } from '../../../shared/domain.js';
import { renderReportHtml } from '../../../shared/report-html.js';
import { displayPath, EXIT, UsageError, withProject } from './common.js';

interface ReportCliOptions {
  run: string;
  project?: string;
  out: string;
  pdf?: string;
}

/** Browsers that can print a file to PDF without a window: CHROME_PATH first, then the usual names. */
const BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];

export function reportCommand(): Command {
  return new Command('report')
    .description("write a run's report as a self-contained HTML file (and a PDF with --pdf)")
    .requiredOption('--run <dir|id>', 'a run folder from finetune train (holding metrics.json), or with --project the run number')
    .option('--project <file>', 'the project whose run --run names')
    .requiredOption('--out <file>', 'the HTML file to write')
    .option('--pdf <file>', 'also print it to this PDF, with a local Chromium or Chrome (CHROME_PATH names another)')
    .action(async (opts: ReportCliOptions) => {
      process.exitCode = await runReport(opts);
    });
}

async function metricsOf(opts: ReportCliOptions): Promise<{ metrics: RunMetrics; subject: string }> {
  if (opts.project) {
    const runId = Number(opts.run);
    if (!Number.isInteger(runId) || runId < 1) throw new UsageError(`--run must be a run number with --project, got "${opts.run}".`);
    return withProject(opts.project, (store) => {
      const run = store.listRuns().find((r) => r.id === runId);
      if (!run) throw new UsageError(`${opts.project}: there is no run ${runId} (finetune project runs --project ${opts.project} lists them).`);
      if (run.status !== 'completed') throw new UsageError(`${opts.project}: run ${runId} is ${run.status}; only a completed run has results to report.`);
      return { metrics: store.runMetrics(runId), subject: `${basename(opts.project!)}, run ${runId}` };
    }, { reading: true });
  }
  const file = join(opts.run, 'metrics.json');
  if (!existsSync(file)) throw new UsageError(`${opts.run}: no metrics.json there. Give the --out folder of finetune train, or --project P --run N.`);
  return { metrics: JSON.parse(await readFile(file, 'utf8')) as RunMetrics, subject: basename(resolve(opts.run)) };
}

function browser(): string | null {
  const candidates = [process.env.CHROME_PATH, ...BROWSERS].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

async function runReport(opts: ReportCliOptions): Promise<number> {
  const { metrics, subject } = await metricsOf(opts);
  await writeFile(opts.out, renderReportHtml(metrics, { subject, createdAt: new Date().toISOString() }));
  process.stdout.write(`Wrote ${displayPath(opts.out)}.\n`);
  if (!opts.pdf) return EXIT.ok;
  const chrome = browser();
  if (!chrome) {
    process.stderr.write(`finetune: no Chromium or Chrome found to print ${displayPath(opts.pdf)} (set CHROME_PATH); open ${displayPath(opts.out)} in a browser and print it to PDF instead.\n`);
    return EXIT.failed;
  }
  const printed = spawnSync(chrome, ['--headless', '--disable-gpu', '--no-sandbox', '--no-pdf-header-footer', `--print-to-pdf=${resolve(opts.pdf)}`, pathToFileURL(resolve(opts.out)).href], { encoding: 'utf8', timeout: 120_000 });
  if (printed.status !== 0 || !existsSync(opts.pdf)) {
    process.stderr.write(`finetune: ${chrome} could not print the PDF: ${(printed.stderr || printed.error?.message || `exit ${printed.status}`).trim().split('\n').pop()}\n`);
    return EXIT.failed;
  }
  process.stdout.write(`Wrote ${displayPath(opts.pdf)}.\n`);
  return EXIT.ok;
}
