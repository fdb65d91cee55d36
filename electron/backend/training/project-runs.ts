// A project's training run, the same for the command line and the app service: the preconditions (labeled
// documents of at least two classes), the job the worker gets, and how the outcome is written to the project.
import type { TrainSettings } from '../../../shared/domain.js';
import type { ProjectStore, RunSplit } from '../store/project-store.js';
import type { TrainExample, TrainJob, TrainResult } from './job.js';
import { trainExamplesFromProject } from './worker-client.js';

export class TrainingDataError extends Error {
  override name = 'TrainingDataError';
}

/**
 * Labeled documents must cover at least two classes: the message names the project file, what was found, and the
 * next step, before any process starts.
 */
export function requireTwoClasses(examples: TrainExample[], where: string, advice: string): void {
  const counts = new Map<string, number>();
  for (const e of examples) if (!e.synthetic) for (const label of e.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  if (counts.size >= 2) return;
  const found = [...counts].map(([label, n]) => `"${label}" with ${n.toLocaleString('en-US')} document${n === 1 ? '' : 's'}`).join(', ');
  throw new TrainingDataError(`${where}: training needs labeled documents of at least two classes; found ${found || 'no labeled documents'}. Next: ${advice}.`);
}

/**
 * The worker's job for the project's labeled documents (and its accepted synthetic examples), checked before a run
 * is created; the caller adds the model folder, which is named after the run.
 */
export function projectJob(store: ProjectStore, settings: TrainSettings, where: { cacheFile: string; encoder?: string }): Omit<TrainJob, 'modelDir'> {
  const info = store.info();
  const all = trainExamplesFromProject(store.trainingExamples());
  // A pair project trains on the documents that have a second text (synthetic examples have none, so they are left out).
  const examples = info.pairColumn ? all.filter((e) => e.pair !== undefined) : all;
  requireTwoClasses(examples, store.file, info.pairColumn ? `label pairs of another class (documents with a "${info.pairColumn}" text), or import more` : 'label documents of another class, or import more');
  return {
    task: store.labelTask(),
    labels: store.labels().map((l) => l.name),
    examples,
    ...(info.pairColumn ? { pairs: true } : {}),
    settings,
    encoder: where.encoder ?? info.encoder,
    cacheFile: where.cacheFile,
  };
}

export type RunOutcome = { status: 'completed'; result: TrainResult } | { status: 'failed' | 'cancelled'; error?: string };

/** Writes a finished run into the project (the job's example ids are the project's document ids). */
export function recordRun(store: ProjectStore, runId: number, outcome: RunOutcome): void {
  if (outcome.status !== 'completed') {
    store.finishRun(runId, { status: outcome.status, error: outcome.error });
    return;
  }
  const { result } = outcome;
  const ids = (list: (number | string)[]) => list.map(Number);
  const split: RunSplit = { seed: result.split.seed, train: ids(result.split.train), val: ids(result.split.val), test: ids(result.split.test) };
  store.finishRun(runId, { status: 'completed', metrics: result.metrics, split, predictions: result.predictions, modelDir: result.modelDir, history: result.history });
}
