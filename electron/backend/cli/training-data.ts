// What `finetune train` and `finetune strategies` share: the options that say where the labeled documents are and
// how training is set up, and reading those documents (a project, or a file or folder with an optional test file).
import { Command, Option } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DECISION_MODES, DEFAULT_TRAIN_SETTINGS, STRATEGY_NAMES, WEIGHT_SCHEMES, type DecisionCosts, type ImportOptions, type TaskKind, type TrainSettings } from '../../../shared/domain.js';
import { readSources } from '../import/index.js';
import { contentHash } from '../store/importer.js';
import { exampleKey, pairContentHash } from '../training/pairs.js';
import type { ProjectStore } from '../store/project-store.js';
import type { TrainExample, TrainJob } from '../training/job.js';
import { projectJob, requireTwoClasses } from '../training/project-runs.js';
import { formatIssueLine } from './import.js';
import { countOf, displayPath, multiLabelHint, parseFraction, UsageError } from './common.js';

export interface TrainingDataOptions {
  project?: string;
  data?: string;
  test?: string;
  textCol?: string;
  /** Sentence pairs: the column (field) of the second text. */
  pairCol?: string;
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
  decision: NonNullable<TrainSettings['decision']>;
  folds: string;
  repeats: string;
  searchSeconds: string;
  costs?: string;
  reviewBudget?: string;
  groupSimilar?: boolean;
  encoder: string;
  cache: string;
}

export function defaultCacheFile(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'finetune', 'embeddings.sqlite');
}

const integer = (value: string, name: string, min = 0): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${value}".`);
  return n;
};

/** The data and settings options, added to a command. */
export function withTrainingDataOptions(command: Command): Command {
  const d = DEFAULT_TRAIN_SETTINGS;
  return command
    .option('--project <file>', 'the labeled documents of this project')
    .option('--data <file>', 'a CSV/TSV/JSONL file or label-folder instead of a project')
    .option('--test <file>', 'with --data: evaluate on this file instead of a held-out split')
    .option('--text-col <column>', 'with --data: the text column')
    .option('--pair-col <column>', 'with --data: the column of the second text, for a sentence-pair task (the first is --text-col)')
    .option('--label-col <column>', 'with --data: the label column', 'label')
    .option('--multi-label', 'with --data: several labels per document')
    .option('--label-sep <sep>', 'with --multi-label: the separator between labels in a cell', '|')
    .addOption(new Option('--strategy <name>', "how to handle class imbalance ('auto': measure them and take the best)").choices(['auto', ...STRATEGY_NAMES]).default(d.strategy))
    .addOption(new Option('--weights <scheme>', 'class-weighting scheme').choices([...WEIGHT_SCHEMES]).default(d.weights))
    .option('--gamma <n>', 'focal-loss gamma', String(d.gamma))
    .addOption(new Option('--head <kind>', "classification head ('linear': fitted to convergence; 'mlp': trained with early stopping)").choices(['linear', 'mlp']).default(d.head))
    .option('--epochs <n>', 'MLP head: maximum epochs', String(d.epochs))
    .option('--seed <n>', 'random seed for the split, folds, sampling and initialisation', String(d.seed))
    .option('--val-fraction <f>', 'MLP head: share of the data held out for early stopping', String(d.valFraction))
    .option('--test-fraction <f>', 'share held out for testing (without --test)', String(d.testFraction))
    .option('--no-lexical', 'use the sentence embedding alone, without TF-IDF features of the same text')
    .addOption(new Option('--decision <mode>', "class decisions: 'tuned' thresholds, 'argmax', or 'auto' (whichever measured better)").choices([...DECISION_MODES]).default(d.decision))
    .option('--folds <n>', 'cross-validation folds', String(d.folds))
    .option('--repeats <n>', 'cross-validation repeats', String(d.repeats))
    .option('--search-seconds <n>', "time the strategy search may take with --strategy auto", String(d.searchSeconds))
    .option('--costs <file>', 'JSON {"miss": {class: cost}, "falseAlarm": {class: cost}}: decide by expected cost')
    .option('--review-budget <share>', 'share of documents (0-1) a person can review: the least certain ones are marked')
    .option('--group-similar', 'keep similar documents (likely one source) in one fold, for data where new documents come from new sources')
    .option('--encoder <spec>', "'use-lite' (built in) or 'hf:<folder>' (a local Hugging Face model)", 'use-lite')
    .option('--cache <file>', 'embedding cache file', defaultCacheFile());
}

function readCosts(file: string): DecisionCosts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--costs ${file}: ${(error as Error).message}`);
  }
  const costs = parsed as Partial<DecisionCosts>;
  if (typeof costs !== 'object' || costs === null || (costs.miss === undefined && costs.falseAlarm === undefined)) {
    throw new UsageError(`--costs ${file}: expected {"miss": {"<class>": cost}, "falseAlarm": {"<class>": cost}}.`);
  }
  return { miss: costs.miss ?? {}, falseAlarm: costs.falseAlarm ?? {} };
}

export function settingsFrom(opts: TrainingDataOptions): TrainSettings {
  const gamma = Number(opts.gamma);
  if (!Number.isFinite(gamma) || gamma < 0) throw new UsageError(`--gamma must be a number ≥ 0, got "${opts.gamma}".`);
  const settings: TrainSettings = {
    ...DEFAULT_TRAIN_SETTINGS,
    strategy: opts.strategy,
    weights: opts.weights,
    gamma,
    head: opts.head,
    epochs: integer(opts.epochs, '--epochs', 1),
    seed: integer(opts.seed, '--seed'),
    valFraction: parseFraction(opts.valFraction, '--val-fraction'),
    testFraction: parseFraction(opts.testFraction, '--test-fraction'),
    lexical: opts.lexical,
    decision: opts.decision,
    folds: integer(opts.folds, '--folds', 2),
    repeats: integer(opts.repeats, '--repeats', 1),
    searchSeconds: integer(opts.searchSeconds, '--search-seconds', 1),
  };
  if (opts.costs) settings.costs = readCosts(opts.costs);
  if (opts.reviewBudget !== undefined) settings.reviewBudget = parseFraction(opts.reviewBudget, '--review-budget');
  if (opts.groupSimilar) settings.groupSimilar = true;
  return settings;
}

export interface FineTuneCliOptions {
  depth: string;
  freezeEmbeddings?: boolean;
  fineTuneEpochs: string;
  batchSize: string;
  accumulate: string;
  learningRate?: string;
  headLearningRate?: string;
  maxLength: string;
  contrastivePairs?: string;
  tryFineTune?: boolean;
}

/** How much of the encoder learns (train only: the analyses measure frozen features). */
export function withFineTuneOptions(command: Command): Command {
  return command
    .option('--depth <depth>', "what learns: 'head' (the encoder stays frozen, the strategy search picks the head), 'top-1', 'top-2' … (the last k encoder layers and the head), 'full', or 'contrastive' (few labels, SetFit-style: USE-lite tuned on same/different-class pairs, then a head)", 'head')
    .option('--freeze-embeddings', "with --depth full or contrastive: keep the token embeddings as they are")
    .option('--try-fine-tune', "with --depth head and --strategy auto: also measure fine-tuning USE-lite's top layer within the rest of --search-seconds, beside the search's pick, and fine-tune when it is clearly better")
    .option('--contrastive-pairs <n>', 'with --depth contrastive: document pairs to tune on (default 40 per training document, at most 640)')
    .option('--fine-tune-epochs <n>', 'with --depth other than head: maximum epochs (early stopping on the validation split)', '4')
    .option('--batch-size <n>', 'with --depth other than head: texts per batch', '16')
    .option('--accumulate <n>', 'with --depth other than head: batches per optimiser step (effective batch = batch size × this)', '1')
    .option('--learning-rate <lr>', 'with --depth other than head: learning rate of the pretrained weights (default 2e-5)')
    .option('--head-learning-rate <lr>', 'with --depth other than head: learning rate of the new head (default 1e-3)')
    .option('--max-length <n>', 'with --depth other than head: token ids per text', '128');
}

const positiveNumber = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a number above 0, got "${value}".`);
  return n;
};

/** Adds the fine-tuning choices to `settings`; 'head' leaves them as they were. */
export function withFineTuneSettings(settings: TrainSettings, opts: FineTuneCliOptions): TrainSettings {
  if (!/^(head|full|contrastive|top-[1-9]\d*)$/.test(opts.depth)) throw new UsageError(`--depth must be head, top-1, top-2 (top-k in general), full or contrastive, got "${opts.depth}".`);
  if (opts.contrastivePairs !== undefined && opts.depth !== 'contrastive') throw new UsageError('--contrastive-pairs goes with --depth contrastive.');
  if (opts.tryFineTune && (opts.depth !== 'head' || settings.strategy !== 'auto')) throw new UsageError('--try-fine-tune goes with --depth head and --strategy auto (it is measured beside the strategy search).');
  if (opts.depth === 'head') return opts.tryFineTune ? { ...settings, tryFineTune: true } : settings;
  if (opts.freezeEmbeddings && opts.depth !== 'full' && opts.depth !== 'contrastive') throw new UsageError('--freeze-embeddings goes with --depth full or contrastive (other depths never train the embeddings).');
  return {
    ...settings,
    depth: opts.depth,
    ...(opts.freezeEmbeddings ? { freezeEmbeddings: true } : {}),
    fineTune: {
      epochs: integer(opts.fineTuneEpochs, '--fine-tune-epochs', 1),
      batchSize: integer(opts.batchSize, '--batch-size', 1),
      accumulate: integer(opts.accumulate, '--accumulate', 1),
      learningRate: positiveNumber(opts.learningRate, '--learning-rate'),
      headLearningRate: positiveNumber(opts.headLearningRate, '--head-learning-rate'),
      maxLength: integer(opts.maxLength, '--max-length', 4),
      ...(opts.contrastivePairs !== undefined ? { contrastivePairs: integer(opts.contrastivePairs, '--contrastive-pairs', 2) } : {}),
    },
  };
}

/** Labeled documents of a file, with issues printed as warnings; unlabeled rows are skipped with a note. */
async function readLabeledFile(path: string, options: ImportOptions, pairCol?: string): Promise<TrainExample[]> {
  const examples: TrainExample[] = [];
  const seen = new Set<string>();
  let unlabeled = 0;
  let duplicates = 0;
  let withoutPair = 0;
  for await (const event of readSources([path], options)) {
    if (event.kind === 'issue') process.stderr.write(`${event.issue.status} ${formatIssueLine(event.issue)}\n`);
    if (event.kind !== 'record') continue;
    const { record } = event;
    if (!record.labels) {
      unlabeled++;
      continue;
    }
    let pair: string | undefined;
    if (pairCol !== undefined) {
      if (!(pairCol in record.metadata)) {
        const columns = Object.keys(record.metadata);
        throw new UsageError(`${displayPath(path)}: no column "${pairCol}" for --pair-col (other columns: ${columns.length ? columns.slice(0, 20).map((c) => `"${c}"`).join(', ') : 'none'}).`);
      }
      pair = String(record.metadata[pairCol] ?? '').trim();
      if (pair === '') {
        withoutPair++;
        continue;
      }
    }
    const hash = pair === undefined ? contentHash(record.text) : pairContentHash(record.text, pair);
    if (seen.has(hash)) {
      duplicates++;
      continue;
    }
    seen.add(hash);
    examples.push({ id: `${displayPath(record.sourceFile)}:${record.sourceRef}`, text: record.text, ...(pair === undefined ? {} : { pair }), contentHash: hash, labels: record.labels });
  }
  if (withoutPair) process.stderr.write(`${displayPath(path)}: ${countOf(withoutPair, `row with an empty "${pairCol}" was`, `rows with an empty "${pairCol}" were`)} left out.\n`);
  if (unlabeled) process.stderr.write(`${displayPath(path)}: ${countOf(unlabeled, 'row without a label was', 'rows without a label were')} left out.\n`);
  if (duplicates) process.stderr.write(`${displayPath(path)}: ${countOf(duplicates, pairCol ? 'exact duplicate pair (in either order) was' : 'exact duplicate text was', pairCol ? 'exact duplicate pairs (in either order) were' : 'exact duplicate texts were')} left out.\n`);
  if (examples.length === 0) throw new UsageError(`${displayPath(path)}: no labeled documents found (check --text-col and --label-col).`);
  return examples;
}

/** Test documents that duplicate a training text (exactly or nearly) would flatter the scores: drop them. */
function withoutTrainDuplicates(test: TrainExample[], train: TrainExample[]): TrainExample[] {
  const trainKeys = new Set(train.map(exampleKey));
  const kept = test.filter((e) => !trainKeys.has(exampleKey(e)));
  const dropped = test.length - kept.length;
  if (dropped) process.stderr.write(`${countOf(dropped, 'test document also appears', 'test documents also appear')} (or nearly) in the training data and ${dropped === 1 ? 'was' : 'were'} left out of the test set.\n`);
  return kept;
}

function labelOrder(examples: TrainExample[]): string[] {
  const order = new Set<string>();
  for (const e of examples) for (const label of e.labels) order.add(label);
  return [...order];
}

/** Checks the options that decide where the data is, before anything is read. */
export function checkDataOptions(opts: TrainingDataOptions, settings: TrainSettings): void {
  if (Boolean(opts.project) === Boolean(opts.data)) throw new UsageError('Give either --project FILE or --data FILE.');
  if (opts.test && !opts.data) throw new UsageError('--test goes with --data (a project holds out its own test split).');
  if (opts.pairCol && !opts.data) throw new UsageError('--pair-col goes with --data: sentence pairs are read from a CSV, TSV or JSONL file with two text columns.');
  for (const path of [opts.data, opts.test].filter((p): p is string => Boolean(p))) {
    if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder.`);
  }
  const heldOut = (settings.head === 'mlp' ? settings.valFraction : 0) + (opts.test ? 0 : settings.testFraction);
  if (heldOut >= 1) {
    throw new UsageError(`--val-fraction ${settings.valFraction}${opts.test ? '' : ` and --test-fraction ${settings.testFraction}`} hold out ${Math.round(heldOut * 100)}% of the documents, leaving none for training; keep the held-out share below 100%.`);
  }
}

/** The job (without its model folder) for a project's documents. */
export function projectTrainingJob(store: ProjectStore, opts: TrainingDataOptions, settings: TrainSettings): Omit<TrainJob, 'modelDir'> {
  return projectJob(store, settings, { cacheFile: resolve(opts.cache), encoder: opts.encoder === 'use-lite' ? undefined : opts.encoder });
}

/** The job (without its model folder) for --data (and --test). */
export async function fileTrainingJob(opts: TrainingDataOptions, settings: TrainSettings): Promise<Omit<TrainJob, 'modelDir'>> {
  const task: TaskKind = opts.multiLabel ? 'multi_label' : 'single_label';
  const readOptions: ImportOptions = { textCol: opts.textCol, labelCol: opts.labelCol, multiLabel: task === 'multi_label', labelSep: opts.multiLabel ? opts.labelSep : undefined };
  const examples = await readLabeledFile(opts.data!, readOptions, opts.pairCol);
  const test = opts.test ? withoutTrainDuplicates(await readLabeledFile(opts.test, readOptions, opts.pairCol), examples) : undefined;
  const labels = labelOrder([...examples, ...(test ?? [])]);
  const isFolder = statSync(opts.data!).isDirectory();
  requireTwoClasses(examples, displayPath(opts.data!), isFolder ? 'each subfolder is a class: add a subfolder with documents of another class' : 'check --label-col, or add documents of another class');
  const hint = opts.multiLabel ? null : multiLabelHint(labels);
  if (hint) process.stderr.write(`note: ${hint}\n`);
  return { task, labels, examples, test, settings, encoder: opts.encoder, cacheFile: resolve(opts.cache), ...(opts.pairCol ? { pairs: true } : {}) };
}
