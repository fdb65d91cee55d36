// `finetune import`: reads files and folders into a project (created if missing), with progress and a report.
import { Command, Option } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { ImportIssue, ImportOptions, ImportReport } from '../../../shared/domain.js';
import { ALREADY_IMPORTED } from '../store/importer.js';
import { isEmptyFile, ProjectStore, type ImportProgress } from '../store/project-store.js';
import { countOf, displayPath, EXIT, interruptSignal, multiLabelHint, namingProject, projectOption, statusLine, UsageError } from './common.js';

/** Issues shown without --all-issues. */
const SHOWN_ISSUES = 20;

/** The command line's options: the import options under their own names, plus the command's own. */
interface ImportCliOptions extends ImportOptions {
  project: string;
  data?: string[];
  name?: string;
  allIssues?: boolean;
  tokens?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function importCommand(): Command {
  return new Command('import')
    .description('import documents (CSV, TSV, JSONL, a folder of label folders, .txt .md .eml .html .pdf .docx) into a project')
    .addOption(projectOption())
    .addOption(new Option('--data <path>', 'a file or folder to import (repeat for several)').argParser(collect))
    .option('--text-col <column>', 'column (CSV/TSV) or field (JSONL) holding the text')
    .option('--label-col <column>', 'column or field holding the label(s); without it documents are imported unlabeled')
    .option('--multi-label', 'documents may carry several labels (a new project becomes multi-label)')
    .option('--label-sep <sep>', 'separator between labels in one cell, with --multi-label', '|')
    .option('--keep-subject', 'e-mail: keep the Subject line in front of the body (other headers are always dropped)')
    .option('--encoding <name>', 'force a text encoding (e.g. windows-1252) instead of detecting it')
    .option('--tokens', 'a new project marks words (entities or tags): import CoNLL, JSONL spans or plain text into it')
    .option('--name <name>', 'project name, when the project is created (default: the file name)')
    .option('--all-issues', `list every skipped or failed item (default: the first ${SHOWN_ISSUES})`)
    .action(async (opts: ImportCliOptions) => {
      process.exitCode = await runImport(opts);
    });
}

async function runImport(opts: ImportCliOptions): Promise<number> {
  const data = opts.data ?? [];
  if (data.length === 0) throw new UsageError('Nothing to import: give --data FILE_OR_FOLDER (repeatable).');
  for (const path of data) {
    if (!existsSync(path)) throw new UsageError(`--data ${path}: no such file or folder.`);
  }
  if (opts.labelSep !== undefined && opts.labelSep.length === 0) throw new UsageError('--label-sep cannot be empty.');
  const options: ImportOptions = {
    textCol: opts.textCol,
    labelCol: opts.labelCol,
    multiLabel: Boolean(opts.multiLabel),
    labelSep: opts.multiLabel ? opts.labelSep : undefined,
    keepSubject: Boolean(opts.keepSubject),
    encoding: opts.encoding,
  };
  // An empty (0-byte) file is no project yet: it is created there.
  const created = !existsSync(opts.project) || isEmptyFile(opts.project);
  const store = created
    ? ProjectStore.create(opts.project, {
        name: opts.name ?? basename(opts.project, extname(opts.project)),
        task: opts.tokens ? 'token' : opts.multiLabel ? 'multi_label' : 'single_label',
      })
    : ProjectStore.open(opts.project);
  let keepProject = !created;
  const interrupt = interruptSignal();
  const progress = progressPrinter();
  try {
    const report = await store.importSources(data, options, progress.update, interrupt.signal);
    progress.end();
    process.stdout.write(formatReport(report, store.file, Boolean(opts.allIssues), store.info().task === 'multi_label'));
    keepProject ||= report.imported > 0;
    if (!keepProject) process.stdout.write(`Nothing was imported, so ${displayPath(store.file)} was not created.\n`);
    if (report.imported > 0) return EXIT.ok;
    // Nothing new: fine when everything was already there, a failure when items failed or nothing was found.
    return report.failed === 0 && report.skipped > 0 ? EXIT.ok : EXIT.failed;
  } catch (error) {
    progress.end();
    if (interrupt.signal.aborted) {
      process.stderr.write(`Import cancelled; ${created ? 'no project was created' : `${displayPath(store.file)} is unchanged`}.\n`);
      return EXIT.interrupted;
    }
    throw namingProject(error, store.file);
  } finally {
    interrupt.dispose();
    store.close();
    // A project this command created but filled with nothing is not left behind.
    if (!keepProject) for (const suffix of ['', '-wal', '-shm']) rmSync(`${store.file}${suffix}`, { force: true });
  }
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** Progress on stderr: where, how much, documents per second and the time left in the current file. */
function progressPrinter() {
  const status = statusLine();
  const started = performance.now();
  let fileStarted = started;
  let currentFile = '';

  const update = (p: ImportProgress): void => {
    const now = performance.now();
    if (p.file !== currentFile) {
      currentFile = p.file;
      fileStarted = now;
    }
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? Math.round(p.imported / seconds) : 0;
    let where = `importing ${displayPath(p.file)}`;
    let left = '';
    if (p.total) {
      where += `: ${megabytes(p.done)} of ${megabytes(p.total)} (${Math.floor((100 * p.done) / p.total)}%)`;
      const fileSeconds = (now - fileStarted) / 1000;
      if (p.done > 0 && fileSeconds > 0.5) left = `, about ${Math.ceil((fileSeconds * (p.total - p.done)) / p.done)} s left`;
    }
    status.show(`${where}, ${p.imported.toLocaleString('en-US')} documents, ${rate.toLocaleString('en-US')} docs/s${left}`);
  };
  return { update, end: () => status.end() };
}

export function formatIssueLine(issue: ImportIssue): string {
  const file = displayPath(issue.file);
  // Files inside a folder import carry their inner path as `where`, which the file path already ends with.
  const located = issue.where && !issue.file.endsWith(issue.where) ? `${file}:${issue.where}` : file;
  return `${located}: ${issue.reason}`;
}

/** Why items were skipped, in the review's words, so the report and `finetune inspect` add up. */
function skippedBreakdown(issues: ImportIssue[]): string {
  const kinds: Array<[(issue: ImportIssue) => boolean, string, string]> = [
    [(i) => i.reason.startsWith(ALREADY_IMPORTED), 'already in the project (imported before)', 'already in the project (imported before)'],
    [(i) => i.reason.startsWith('same text as'), 'exact copy of another document', 'exact copies of other documents'],
    [(i) => /^empty text/i.test(i.reason), 'empty text', 'empty texts'],
  ];
  const skipped = issues.filter((issue) => issue.status === 'skipped');
  const parts = kinds.map(([matches, one, many]) => [skipped.filter(matches).length, one, many] as const).filter(([n]) => n > 0);
  const other = skipped.length - parts.reduce((sum, [n]) => sum + n, 0);
  return [...parts.map(([n, one, many]) => countOf(n, one, many)), ...(other > 0 ? [countOf(other, 'other')] : [])].join(', ');
}

export function formatReport(report: ImportReport, projectFile: string, allIssues: boolean, multiLabel = false): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const lines = [
    `Imported ${count(report.imported)} documents from ${report.files.map(displayPath).join(', ')} into ${displayPath(projectFile)} in ${report.seconds.toFixed(1)} s.`,
    `  imported: ${count(report.imported)}  skipped: ${count(report.skipped)}  failed: ${count(report.failed)}`,
  ];
  if (report.skipped > 0) lines.push(`  skipped: ${skippedBreakdown(report.issues)}`);
  if (report.labelsCreated.length) lines.push(`  new labels: ${report.labelsCreated.join(', ')}`);
  const hint = multiLabel ? null : multiLabelHint(report.labelsCreated);
  if (hint) lines.push(`  note: ${hint}`);
  for (const notice of report.notices ?? []) lines.push(`  note: ${displayPath(notice.file)}: ${notice.message}`);
  // Rows imported before are not listed one by one (unless asked): importing a file again is normal, not a problem.
  const listed = allIssues ? report.issues : report.issues.filter((issue) => !issue.reason.startsWith(ALREADY_IMPORTED));
  if (listed.length) {
    const shown = allIssues ? listed : listed.slice(0, SHOWN_ISSUES);
    lines.push('', 'Skipped and failed items:');
    lines.push(...shown.map((issue) => `  ${issue.status === 'failed' ? 'failed ' : 'skipped'} ${formatIssueLine(issue)}`));
    const hidden = listed.length - shown.length;
    if (hidden > 0) lines.push(`  ... and ${hidden} more (--all-issues lists them all)`);
  }
  return `${lines.join('\n')}\n`;
}
