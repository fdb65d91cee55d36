// The fast path: predict with an exported folder (tokenizer.json + onnx/model.onnx) in onnxruntime-node,
// behind the same Predictor interface as a trained model folder (training/predictor.ts).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { PredictionRow, TaskKind } from '../../../shared/domain.js';
import { loadUseLiteTokenizer } from '../encoders/tokenizer.js';
import { inLengthBatches, padBatch } from '../onnx/batching.js';
import { decide, type Predictor } from '../training/predictor.js';
import { ATTENTION_MASK, INPUT_IDS, PROBABILITIES } from './graph.js';
import { MODEL_FILE, QUANTIZED_MODEL_FILE } from './index.js';

export interface OnnxPredictorOptions {
  /** Run onnx/model_quantized.onnx instead of onnx/model.onnx. */
  quantized?: boolean;
  /** Texts per ONNX run (texts of similar length are batched together). */
  batchSize?: number;
  /** onnxruntime intra-op threads (default: every core). */
  threads?: number;
}

interface ExportConfig {
  id2label: Record<string, string>;
  problem_type: 'single_label_classification' | 'multi_label_classification';
  thresholds: Record<string, number> | null;
  finetune?: { encoder?: { spec?: string } };
}

/** True when the folder looks like an export (so `predict --model` can take either kind of folder). */
export function isExportFolder(dir: string): boolean {
  return existsSync(path.join(dir, MODEL_FILE)) && existsSync(path.join(dir, 'config.json')) && existsSync(path.join(dir, 'tokenizer.json'));
}

export async function loadOnnxPredictor(exportDir: string, opts: OnnxPredictorOptions = {}): Promise<Predictor> {
  const dir = path.resolve(exportDir);
  const modelPath = path.join(dir, opts.quantized ? QUANTIZED_MODEL_FILE : MODEL_FILE);
  if (!existsSync(modelPath)) throw new Error(`${modelPath}: missing (is ${dir} a Finetune export${opts.quantized ? ' made with --quantize' : ''}?)`);
  const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as ExportConfig;
  const labels = Object.keys(config.id2label).sort((a, b) => Number(a) - Number(b)).map((k) => config.id2label[k]);
  const task: TaskKind = config.problem_type === 'multi_label_classification' ? 'multi_label' : 'single_label';
  const thresholds = config.thresholds ? labels.map((l) => config.thresholds![l]) : null;

  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const padId = typeof tokenizer.pad_token_id === 'number' ? tokenizer.pad_token_id : 0;
  // A USE-lite export tokenises through the app's own tokenizer module: the same tokenizer.json definition, plus
  // whatever it does for texts too long for transformers.js in one piece, so the ids match the app's exactly.
  const encode = config.finetune?.encoder?.spec === 'use-lite'
    ? (await loadUseLiteTokenizer()).encode
    : (text: string) => tokenizer.encode(text);
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: opts.threads ?? os.availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Idle threads sleep instead of spinning: the CPU is shared with the UI and other work.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const batchSize = opts.batchSize ?? 16;

  async function probabilitiesOf(ids: number[][]): Promise<number[][]> {
    const { inputIds, attentionMask, dims } = padBatch(ids, padId);
    const out = await session.run({
      [INPUT_IDS]: new ort.Tensor('int64', inputIds, dims),
      [ATTENTION_MASK]: new ort.Tensor('int64', attentionMask, dims),
    }, [PROBABILITIES]);
    const data = out[PROBABILITIES].data as Float32Array;
    return ids.map((_, r) => Array.from(data.subarray(r * labels.length, (r + 1) * labels.length)));
  }

  return {
    task,
    labels,
    async predict(texts, onProgress, signal): Promise<PredictionRow[]> {
      const probabilities = await inLengthBatches(texts.map(encode), batchSize, probabilitiesOf, onProgress, signal);
      const predicted = decide(task, probabilities, thresholds);
      return texts.map((text, i) => ({
        text,
        predicted: predicted[i].map((c) => labels[c]),
        probabilities: Object.fromEntries(labels.map((label, c) => [label, probabilities[i][c]])),
      }));
    },
    dispose: () => session.release(),
  };
}
