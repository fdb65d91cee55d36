// Parity of an export with the app: the same texts through the app's predictor (training/predictor.ts) and through
// onnxruntime on the exported folder (float and, when present, int8), with the largest probability difference,
// label agreement and documents per second of each path.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { PredictionRow } from '../../../shared/domain.js';
import { loadPredictor, type Predictor } from '../training/predictor.js';
import { loadOnnxPredictor } from './onnx-predictor.js';

export interface PathFigures {
  docsPerSecond: number;
  /** CPU seconds of this process (all threads) for the timed pass: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  /** Largest |p_app - p_path| over every document and class (0 for the app itself). */
  maxAbsDiff: number;
  /** Documents whose predicted label set equals the app's. */
  sameLabels: number;
}

export interface ParityReport {
  documents: number;
  app: PathFigures;
  onnx: PathFigures;
  onnxInt8?: PathFigures;
}

/**
 * The test inputs of the run the model folder belongs to (DIR/predictions.csv beside DIR/model), at most `limit`:
 * the texts, and for a pair model the second texts.
 */
export async function runTestTexts(modelDir: string, limit: number): Promise<{ texts: string[]; pairs?: string[] }> {
  const file = path.join(path.dirname(path.resolve(modelDir)), 'predictions.csv');
  if (!existsSync(file)) return { texts: [] };
  const rows = (parse(await readFile(file, 'utf8'), { columns: true, skip_empty_lines: true }) as { text?: string; pair?: string }[])
    .filter((r) => (r.text ?? '').length > 0)
    .slice(0, limit);
  const texts = rows.map((r) => r.text!);
  return rows.some((r) => r.pair !== undefined) ? { texts, pairs: rows.map((r) => r.pair ?? '') } : { texts };
}

export function compareRows(reference: PredictionRow[], rows: PredictionRow[]): { maxAbsDiff: number; sameLabels: number } {
  let maxAbsDiff = 0;
  let sameLabels = 0;
  reference.forEach((expected, i) => {
    for (const [label, p] of Object.entries(expected.probabilities)) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(p - (rows[i].probabilities[label] ?? Number.NaN)));
    }
    if (expected.predicted.join('\u0000') === rows[i].predicted.join('\u0000')) sameLabels++;
  });
  return { maxAbsDiff, sameLabels };
}

/** Predicts once to warm up (first-run allocations and kernel choices), then times a full pass. */
export async function timedPredict(predictor: Predictor, texts: string[], pairs?: string[]): Promise<{ rows: PredictionRow[]; docsPerSecond: number; cpuSeconds: number }> {
  await predictor.predict(texts.slice(0, 8), undefined, undefined, pairs?.slice(0, 8));
  const started = performance.now();
  const cpu = process.cpuUsage();
  const rows = await predictor.predict(texts, undefined, undefined, pairs);
  const used = process.cpuUsage(cpu);
  return { rows, docsPerSecond: texts.length / ((performance.now() - started) / 1000), cpuSeconds: (used.user + used.system) / 1e6 };
}

async function measure(load: () => Promise<Predictor>, texts: string[], pairs?: string[]): Promise<{ rows: PredictionRow[]; docsPerSecond: number; cpuSeconds: number }> {
  const predictor = await load();
  try {
    return await timedPredict(predictor, texts, pairs);
  } finally {
    await predictor.dispose();
  }
}

export async function checkParity(modelDir: string, exportDir: string, texts: string[], opts: { int8?: boolean; pairs?: string[] } = {}): Promise<ParityReport> {
  const app = await measure(() => loadPredictor(modelDir), texts, opts.pairs);
  const onnx = await measure(() => loadOnnxPredictor(exportDir), texts, opts.pairs);
  const report: ParityReport = {
    documents: texts.length,
    app: { docsPerSecond: app.docsPerSecond, cpuSeconds: app.cpuSeconds, maxAbsDiff: 0, sameLabels: texts.length },
    onnx: { docsPerSecond: onnx.docsPerSecond, cpuSeconds: onnx.cpuSeconds, ...compareRows(app.rows, onnx.rows) },
  };
  if (opts.int8) {
    const int8 = await measure(() => loadOnnxPredictor(exportDir, { quantized: true }), texts, opts.pairs);
    report.onnxInt8 = { docsPerSecond: int8.docsPerSecond, cpuSeconds: int8.cpuSeconds, ...compareRows(app.rows, int8.rows) };
  }
  return report;
}
