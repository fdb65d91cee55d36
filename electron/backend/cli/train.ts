// `finetune train`: trains on a project (recording the run there) or straight from files, in the worker process,
// and writes metrics.json, predictions.csv, report.md and model/ to --out.
import { Command, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_TRAIN_SETTINGS, STRATEGY_NAMES, WEIGHT_SCHEMES, type ImportOptions, type TaskKind, type TrainProgress, type TrainSettings } from '../../../shared/domain.js';
import { nearDuplicateKey } from '../../../shared/text.js';
import { readSources } from '../import/index.js';
import { contentHash } from '../store/importer.js';
import { writeRunArtifacts } from '../training/artifacts.js';
import type { TrainExample, TrainJob, TrainResult } from '../training/job.js';
import { startTraining, trainExamplesFromProject } from '../training/worker-client.js';
import { formatIssueLine } from './import.js';
import { countOf, displayPath, EXIT, interruptSignal, multiLabelHint, parseFraction, statusLine, UsageError, withProject } from './common.js';

interface TrainCliOptions {
  project?: string;
  data?: string;
  test?: string;
  textCol?: string;
  labelCol?: string;
  multiLabel?: boolean;
  labelSep: string;
  strategy: TrainSettings['strategy'];
  weights: TrainSettings['weights'];
  gamma: string;
  head: TrainSettings['head'];
  epochs: string;
  seed: string;
  valFraction: string;
  testFraction: string;
  lexical: boolean;
  encoder: string;
  cache: string;
  out: string;
}

export function defaultCacheFile(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'finetune', 'embeddings.sqlite');
}

const integer = (value: string, name: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number, got "${value}".`);
  return n;
};

export function trainCommand(): Command {
  const d = DEFAULT_TRAIN_SETTINGS;
  return new Command('train')
    .description('train a classifier on a project (--project) or on files (--data, optional --test)')
    .option('--project <file>', 'train on the labeled documents of this project and record the run in it')
    .option('--data <file>', 'train on this CSV/TSV/JSONL file or label-folder instead of a project')
    .option('--test <file>', 'with --data: evaluate on this file instead of a held-out split')
    .option('--text-col <column>', 'with --data: the text column')
    .option('--label-col <column>', 'with --data: the label column', 'label')
    .option('--multi-label', 'with --data: several labels per document')
    .option('--label-sep <sep>', 'with --multi-label: the separator between labels in a cell', '|')
    .addOption(new Option('--strategy <name>', 'how to handle class imbalance').choices(['auto', ...STRATEGY_NAMES]).default(d.strategy))
    .addOption(new Option('--weights <scheme>', 'class-weighting scheme').choices([...WEIGHT_SCHEMES]).default(d.weights))
    .option('--gamma <n>', 'focal-loss gamma', String(d.gamma))
    .addOption(new Option('--head <kind>', 'classification head').choices(['linear', 'mlp']).default(d.head))
    .option('--epochs <n>', 'maximum epochs (early stopping on validation macro-F1)', String(d.epochs))
    .option('--seed <n>', 'random seed for the split, sampling and initialisation', String(d.seed))
    .option('--val-fraction <f>', 'share of the data held out for validation', String(d.valFraction))
    .option('--test-fraction <f>', 'share held out for testing (without --test)', String(d.testFraction))
    .option('--no-lexical', 'use the sentence embedding alone, without TF-IDF features of the same text')
    .option('--encoder <spec>', "'use-lite' (built in) or 'hf:<folder>' (a local Hugging Face model)", 'use-lite')
    .option('--cache <file>', 'embedding cache file', defaultCacheFile())
    .requiredOption('--out <dir>', 'output folder for metrics.json, predictions.csv, report.md and model/')
    .action(async (opts: TrainCliOptions) => {
      process.exitCode = await runTrain(opts);
    });
}

function settingsFrom(opts: TrainCliOptions): TrainSettings {
  const gamma = Number(opts.gamma);
  if (!Number.isFinite(gamma) || gamma < 0) throw new UsageError(`--gamma must be a number ≥ 0, got "${opts.gamma}".`);
  const epochs = integer(opts.epochs, '--epochs');
  if (epochs < 1) throw new UsageError('--epochs must be at least 1.');
  return {
    ...DEFAULT_TRAIN_SETTINGS,
    strategy: opts.strategy,
    weights: opts.weights,
    gamma,
    head: opts.head,
    epochs,
    seed: integer(opts.seed, '--seed'),
    valFraction: parseFraction(opts.valFraction, '--val-fraction'),
    testFraction: parseFraction(opts.testFraction, '--test-fraction'),
    lexical: opts.lexical,
  };
}

async function runTrain(opts: TrainCliOptions): Promise<number> {
  if (Boolean(opts.project) === Boolean(opts.data)) throw new UsageError('Give either --project FILE or --data FILE.');
  if (opts.test && !opts.data) throw new UsageError('--test goes with --data (a project holds out its own test split).');
  for (const path of [opts.data, opts.test].filter((p): p is string => Boolean(p))) {
    if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder.`);
  }
  const settings = settingsFrom(opts);
  const heldOut = settings.valFraction + (opts.test ? 0 : settings.testFraction);
  if (heldOut >= 1) {
    throw new UsageError(`--val-fraction ${settings.valFraction}${opts.test ? '' : ` and --test-fraction ${settings.testFraction}`} hold out ${Math.round(heldOut * 100)}% of the documents, leaving none for training; keep the held-out share below 100%.`);
  }
  const out = resolve(opts.out);
  const base = { settings, cacheFile: resolve(opts.cache), modelDir: join(out, 'model') };
  if (opts.project) {
    return withProject(opts.project, async (store) => {
      const info = store.info();
      const examples = trainExamplesFromProject(store.trainingExamples());
      requireTwoClasses(examples, displayPath(store.file), 'label documents of another class in the app, or import more');
      const labels = store.labels().map((l) => l.name);
      const encoder = opts.encoder === 'use-lite' ? info.encoder : opts.encoder;
      const runId = store.createRun(settings);
      const outcome = await trainInWorker({ ...base, task: info.task, labels, examples, encoder }, out);
      store.finishRun(runId, outcome.status === 'completed'
        ? { status: 'completed', metrics: outcome.result.metrics, split: outcome.result.split as { seed: number; train: number[]; val: number[]; test: number[] }, predictions: outcome.result.predictions, modelDir: outcome.result.modelDir, history: outcome.result.history }
        : { status: outcome.status, error: outcome.error });
      if (outcome.status === 'completed') process.stdout.write(`Recorded as run ${runId} in ${displayPath(store.file)}.\n`);
      return outcome.exitCode;
    });
  }
  const task: TaskKind = opts.multiLabel ? 'multi_label' : 'single_label';
  const readOptions: ImportOptions = { textCol: opts.textCol, labelCol: opts.labelCol, multiLabel: task === 'multi_label', labelSep: opts.multiLabel ? opts.labelSep : undefined };
  const examples = await readLabeledFile(opts.data!, readOptions);
  const test = opts.test ? withoutTrainDuplicates(await readLabeledFile(opts.test, readOptions), examples) : undefined;
  const labels = labelOrder([...examples, ...(test ?? [])]);
  const isFolder = statSync(opts.data!).isDirectory();
  requireTwoClasses(examples, displayPath(opts.data!), isFolder ? 'each subfolder is a class: add a subfolder with documents of another class' : 'check --label-col, or add documents of another class');
  const hint = opts.multiLabel ? null : multiLabelHint(labels);
  if (hint) process.stderr.write(`note: ${hint}\n`);
  const outcome = await trainInWorker({ ...base, task, labels, examples, test, encoder: opts.encoder }, out);
  return outcome.exitCode;
}

type TrainOutcome =
  | { status: 'completed'; result: TrainResult; exitCode: number }
  | { status: 'failed' | 'cancelled'; error: string; exitCode: number };

async function trainInWorker(job: TrainJob, out: string): Promise<TrainOutcome> {
  const status = statusLine();
  const interrupt = interruptSignal();
  const training = startTraining(job, { onProgress: (p) => status.show(describeProgress(p)) });
  interrupt.signal.addEventListener('abort', () => training.cancel());
  try {
    const result = await training.done;
    status.end();
    await writeRunArtifacts(out, result.metrics, result.predictions);
    process.stdout.write(summary(result, out));
    return { status: 'completed', result, exitCode: EXIT.ok };
  } catch (error) {
    status.end();
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === 'AbortError') {
      process.stderr.write('Training cancelled.\n');
      return { status: 'cancelled', error: 'cancelled by the user', exitCode: EXIT.interrupted };
    }
    process.stderr.write(`finetune: training failed: ${message}\n`);
    return { status: 'failed', error: message, exitCode: EXIT.failed };
  } finally {
    interrupt.dispose();
  }
}

function describeProgress(p: TrainProgress): string {
  const parts = [`${p.phase}: ${p.done}/${p.total}`];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.valMacroF1 !== undefined) parts.push(`val macro-F1 ${p.valMacroF1.toFixed(3)}`);
  if (p.etaSeconds !== null) parts.push(`about ${Math.ceil(p.etaSeconds)} s left`);
  if (p.message) parts.push(p.message);
  return parts.join(', ');
}

function summary(result: TrainResult, out: string): string {
  const m = result.metrics;
  const perClass = m.labels.map((label) => {
    const c = m.per_class[label];
    return `  ${label.padEnd(20)} F1 ${c.f1.toFixed(3)}  P ${c.precision.toFixed(3)}  R ${c.recall.toFixed(3)}  support ${c.support}${c.smallSupport ? '  (too few to trust)' : ''}`;
  });
  return [
    `Macro-F1 ${m.f1_macro.toFixed(3)} on ${m.n_test} test documents (accuracy ${m.accuracy.toFixed(3)}, which overstates quality when one class dominates).`,
    ...perClass,
    `Strategy: ${m.strategy.name}${m.strategy.auto ? ` (auto: ${m.strategy.auto.reason})` : ''}; backend ${m.strategy.backend}.`,
    `Wrote ${displayPath(join(out, 'metrics.json'))}, predictions.csv, report.md and model/.`,
    '',
  ].join('\n');
}

/** Labeled documents of a file, with issues printed as warnings; unlabeled rows are skipped with a note. */
async function readLabeledFile(path: string, options: ImportOptions): Promise<TrainExample[]> {
  const examples: TrainExample[] = [];
  const seen = new Set<string>();
  let unlabeled = 0;
  let duplicates = 0;
  for await (const event of readSources([path], options)) {
    if (event.kind === 'issue') process.stderr.write(`${event.issue.status} ${formatIssueLine(event.issue)}\n`);
    if (event.kind !== 'record') continue;
    const { record } = event;
    if (!record.labels) {
      unlabeled++;
      continue;
    }
    const hash = contentHash(record.text);
    if (seen.has(hash)) {
      duplicates++;
      continue;
    }
    seen.add(hash);
    examples.push({ id: `${displayPath(record.sourceFile)}:${record.sourceRef}`, text: record.text, contentHash: hash, labels: record.labels });
  }
  if (unlabeled) process.stderr.write(`${displayPath(path)}: ${countOf(unlabeled, 'row without a label was', 'rows without a label were')} left out.\n`);
  if (duplicates) process.stderr.write(`${displayPath(path)}: ${countOf(duplicates, 'exact duplicate text was', 'exact duplicate texts were')} left out.\n`);
  if (examples.length === 0) throw new UsageError(`${displayPath(path)}: no labeled documents found (check --text-col and --label-col).`);
  return examples;
}

/** Test documents that duplicate a training text (exactly or nearly) would flatter the scores: drop them. */
function withoutTrainDuplicates(test: TrainExample[], train: TrainExample[]): TrainExample[] {
  const trainKeys = new Set(train.map((e) => nearDuplicateKey(e.text)));
  const kept = test.filter((e) => !trainKeys.has(nearDuplicateKey(e.text)));
  const dropped = test.length - kept.length;
  if (dropped) process.stderr.write(`${countOf(dropped, 'test document also appears', 'test documents also appear')} (or nearly) in the training data and ${dropped === 1 ? 'was' : 'were'} left out of the test set.\n`);
  return kept;
}

/** Training needs two classes: say so before the worker starts, naming the data and the one class found. */
function requireTwoClasses(examples: TrainExample[], where: string, advice: string): void {
  const counts = new Map<string, number>();
  for (const e of examples) for (const label of e.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  if (counts.size >= 2) return;
  const found = [...counts].map(([label, n]) => `"${label}" with ${countOf(n, 'document')}`).join(', ');
  throw new Error(`${where}: training needs labeled documents of at least two classes; found ${found || 'no labeled documents'}. Next: ${advice}.`);
}

function labelOrder(examples: TrainExample[]): string[] {
  const order = new Set<string>();
  for (const e of examples) for (const label of e.labels) order.add(label);
  return [...order];
}
