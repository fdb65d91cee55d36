// `finetune import-run`: the output of a job run elsewhere (train.py of `finetune export-job`) recorded as a run of
// the project: its metrics.json (the app's shape), its test predictions and its ONNX export, which Use and predict
// then run like any model. Everything is checked before the run is recorded; nothing is written on a bad output.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { DEFAULT_TRAIN_SETTINGS, type PredictionRow, type RunMetrics, type TrainSettings } from '../../../shared/domain.js';
import type { ProjectStore } from '../store/project-store.js';
import { recordRun } from '../training/project-runs.js';
import type { JobSettings } from './job-export.js';

export class RunImportError extends Error {
  override name = 'RunImportError';
}

function readJson<T>(file: string): T {
  if (!existsSync(file)) throw new RunImportError(`${file}: missing (is this the --output folder of train.py?)`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new RunImportError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/** The figures the app shows of every run; a metrics.json without them cannot be compared or reported. */
function checkMetrics(metrics: RunMetrics, labels: string[], file: string): void {
  for (const key of ['task', 'labels', 'f1_macro', 'accuracy', 'per_class', 'n_train', 'n_test', 'strategy'] as const) {
    if (metrics[key] === undefined) throw new RunImportError(`${file}: "${key}" is missing`);
  }
  const unknown = metrics.labels.filter((l) => !labels.includes(l));
  if (unknown.length) throw new RunImportError(`${file}: classes ${unknown.join(', ')} are not labels of this project (its labels: ${labels.join(', ')})`);
  for (const label of metrics.labels) if (!metrics.per_class[label]) throw new RunImportError(`${file}: no per-class figures for "${label}"`);
}

export function importRun(store: ProjectStore, outputDir: string, jobFile: string): { runId: number; f1Macro: number } {
  const output = path.resolve(outputDir);
  const job = readJson<JobSettings>(jobFile);
  if (job.format !== 'finetune-job-v1') throw new RunImportError(`${jobFile}: not a job.json written by finetune export-job`);
  const metrics = readJson<RunMetrics & { history?: Array<{ epoch: number; loss: number; valMacroF1: number }> }>(path.join(output, 'metrics.json'));
  checkMetrics(metrics, store.labels().map((l) => l.name), path.join(output, 'metrics.json'));
  const exportDir = path.join(output, 'export');
  for (const file of ['config.json', path.join('onnx', 'model.onnx')]) {
    if (!existsSync(path.join(exportDir, file))) throw new RunImportError(`${path.join(exportDir, file)}: missing (train.py writes the ONNX export there)`);
  }
  const rows = parse(readFileSync(path.join(output, 'predictions.csv'), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const predictions: PredictionRow[] = rows.map((row, i) => {
    const documentId = Number(row.id);
    if (!Number.isInteger(documentId)) throw new RunImportError(`${path.join(output, 'predictions.csv')}: row ${i + 2} has no document id`);
    return {
      documentId,
      text: row.text ?? '',
      trueLabels: (row.true ?? '').split('|').filter(Boolean),
      predicted: (row.predicted ?? '').split('|').filter(Boolean),
      probabilities: Object.fromEntries(metrics.labels.map((l) => [l, Number(row[`p_${l}`] ?? 0)])),
    };
  });
  const data = readFileSync(path.join(path.dirname(path.resolve(jobFile)), job.data), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id: number; split: 'train' | 'val' | 'test' });
  const part = (name: string) => data.filter((d) => d.split === name).map((d) => d.id);
  const settings: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS, seed: job.seed, depth: job.depth, fineTune: { epochs: job.epochs, batchSize: job.batch_size, maxLength: job.max_length, learningRate: job.learning_rate, headLearningRate: job.head_learning_rate } };
  const history = (metrics.history ?? []).map((h) => ({ epoch: h.epoch, loss: h.loss, valMacroF1: h.valMacroF1 }));
  delete metrics.history;
  const runId = store.createRun(settings);
  recordRun(store, runId, {
    status: 'completed',
    result: { metrics, split: { seed: job.split.seed, train: part('train'), val: part('val'), test: part('test') }, predictions, history, modelDir: exportDir },
  });
  return { runId, f1Macro: metrics.f1_macro };
}
