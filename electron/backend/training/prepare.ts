// Stage 1 of training: validate the labels and split the labeled examples into train / validation / test, with
// near-duplicates kept on one side and synthetic examples only ever in training (and only when every document they
// were made from is in training too).
import type { TaskKind } from '../../../shared/domain.js';
import { stratifiedSplit } from '../../../shared/split.js';
import { exampleKey } from './pairs.js';
import { yieldToEventLoop } from '../event-loop.js';
import { throwIfAborted } from '../cancel.js';
import type { TrainExample, TrainJob } from './job.js';
import type { ProgressReporter } from './progress.js';

/** Texts per slice of near-duplicate key computation. */
const KEY_SLICE = 50;

export interface PreparedData {
  labelIndex: Map<string, number>;
  /** The labeled pool (examples minus duplicates of explicit test texts), then the explicit test set (if any). */
  all: TrainExample[];
  classesOf: number[][];
  /** Near-duplicate key of each example of `all`: cross-validation folds keep a key's examples together too. */
  keys: string[];
  split: { train: number[]; val: number[]; test: number[] };
  /**
   * Real (not synthetic) examples per class in training and validation — never test: the strategy's prior reads
   * these, so no decision rests on the test split's labels.
   */
  labeledCounts: number[];
  /** Real documents in training and validation: the figure for the 100k+ undersampling row. */
  labeledDocuments: number;
  droppedAsTestDuplicates: number;
  synthetic: { used: number; droppedForLeakage: number };
}

/**
 * Near-duplicate keys normalise every text (seconds on long e-mails): computed in slices between yields, so progress
 * flows and a cancel is seen.
 */
export async function nearDuplicateKeys(examples: TrainExample[], progress: ProgressReporter, signal?: AbortSignal): Promise<Map<TrainExample, string>> {
  const keys = new Map<TrainExample, string>();
  for (let start = 0; start < examples.length; start += KEY_SLICE) {
    throwIfAborted(signal);
    examples.slice(start, start + KEY_SLICE).forEach((e) => keys.set(e, exampleKey(e)));
    progress.update('prepare', Math.min(examples.length, start + KEY_SLICE), examples.length, { message: 'looking for repeated documents' });
    await yieldToEventLoop();
  }
  return keys;
}

function classIndices(example: TrainExample, labelIndex: Map<string, number>, task: TaskKind, where: string): number[] {
  const indices = example.labels.map((label) => {
    const c = labelIndex.get(label);
    if (c === undefined) throw new Error(`${where}: example ${example.id} has label '${label}', which is not one of the job's labels (${[...labelIndex.keys()].join(', ')})`);
    return c;
  });
  if (task === 'single_label' && indices.length !== 1) {
    throw new Error(`${where}: example ${example.id} has ${indices.length} labels; a single-label task needs exactly one`);
  }
  return [...new Set(indices)];
}

/**
 * Validates labels and splits: synthetic examples only in training, near-duplicates kept on one side. An analysis of
 * the labeled data itself (label-error detection) evaluates nothing: it gives `test: []` and `noTest`.
 */
export function prepare(job: TrainJob, keyOf: (e: TrainExample) => string = exampleKey, { noTest = false } = {}): PreparedData {
  if (job.labels.length < 2) throw new Error(`training needs at least 2 labels, got ${job.labels.length}`);
  const labelIndex = new Map(job.labels.map((label, c) => [label, c]));
  const settings = job.settings;
  const testKeys = new Set((job.test ?? []).map(keyOf));
  const pool = job.examples.filter((e) => !testKeys.has(keyOf(e)));
  const all = [...pool, ...(job.test ?? [])];
  const classesOf = all.map((e, i) => classIndices(e, labelIndex, job.task, i < pool.length ? 'training data' : 'test data'));
  const keys = all.map(keyOf);
  const real = pool.map((e, i) => i).filter((i) => !pool[i].synthetic);
  const synthetic = pool.map((e, i) => i).filter((i) => pool[i].synthetic);
  const parts = stratifiedSplit({
    labels: real.map((i) => classesOf[i]),
    groups: real.map((i) => keys[i]),
    valFraction: job.test ? settings.valFraction / (1 - settings.testFraction) : settings.valFraction,
    testFraction: job.test ? 0 : settings.testFraction,
    seed: settings.seed,
    multiLabel: job.task === 'multi_label',
  });
  const testIndices = job.test ? job.test.map((_, j) => pool.length + j) : parts.test.map((k) => real[k]);
  // Leakage guard: a synthetic example trains only if every example it was made from (its parents) is in the
  // training split; otherwise validation/test text would reach training.
  const trainIds = new Set(parts.train.map((k) => pool[real[k]].id));
  const usedSynthetic = synthetic.filter((i) => (pool[i].parents ?? []).every((parent) => trainIds.has(parent)));
  const syntheticCounts = { used: usedSynthetic.length, droppedForLeakage: synthetic.length - usedSynthetic.length };
  const split = { train: [...parts.train.map((k) => real[k]), ...usedSynthetic], val: parts.val.map((k) => real[k]), test: testIndices };
  if (split.train.length === 0) throw new Error('training data: no example is left for training after the split');
  if (split.test.length === 0 && !noTest) throw new Error('training data: the test split is empty; add examples or raise testFraction');
  // Synthetic examples are left out, as in the review: accepting them must not change the prior the strategy search
  // starts from.
  const seen = [...parts.train, ...parts.val].map((k) => real[k]);
  const labeledCounts = countClasses({ classesOf }, seen, job.labels.length);
  return {
    labelIndex,
    all,
    classesOf,
    keys,
    split,
    labeledCounts,
    labeledDocuments: seen.length,
    droppedAsTestDuplicates: job.examples.length - pool.length,
    synthetic: syntheticCounts,
  };
}

/** Per-class counts over some examples of `all`. */
export function countClasses(data: Pick<PreparedData, 'classesOf'>, rows: number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const i of rows) for (const c of data.classesOf[i]) counts[c]++;
  return counts;
}
