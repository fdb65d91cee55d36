// The fast path: predict with an exported folder (tokenizer.json + onnx/model.onnx) in onnxruntime-node,
// behind the same Predictor interface as a trained model folder (training/predictor.ts).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { PredictionRow, TaskKind } from '../../../shared/domain.js';
import { hfSpecialTokenLayout } from '../encoders/hf.js';
import { loadUseLiteTokenizer } from '../encoders/tokenizer.js';
import { inLengthBatches, padBatch } from '../onnx/batching.js';
import { decide, type Predictor } from '../training/predictor.js';
import { ATTENTION_MASK, INPUT_IDS, PREDICTED, PREDICTED_CLASS, PROBABILITIES, TOKEN_TYPE_IDS } from './graph.js';
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
  /** max_length: the model reads at most this many ids (a job's export); longer inputs are cut as truncation=True does. */
  finetune?: { encoder?: { spec?: string }; pairs?: boolean; cross_encoder?: boolean; max_length?: number };
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

  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const padId = typeof tokenizer.pad_token_id === 'number' ? tokenizer.pad_token_id : 0;
  // A USE-lite export tokenises through the app's own tokenizer module: the same tokenizer.json definition, plus
  // whatever it does for texts too long for transformers.js in one piece, so the ids match the app's exactly.
  const limit = config.finetune?.max_length;
  const trailing = limit ? hfSpecialTokenLayout(tokenizer).trailing : 0;
  const encode = config.finetune?.encoder?.spec === 'use-lite'
    ? (await loadUseLiteTokenizer()).encode
    : (text: string) => {
        const ids = tokenizer.encode(text);
        return limit && ids.length > limit ? [...ids.slice(0, limit - trailing), ...ids.slice(ids.length - trailing)] : ids;
      };
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: opts.threads ?? os.availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Idle threads sleep instead of spinning: the CPU is shared with the UI and other work.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const batchSize = opts.batchSize ?? 16;

  // The graph decides (exports made before the decision output existed: argmax, or config.json's thresholds).
  const decisionOutput = session.outputNames.find((name) => name === PREDICTED_CLASS || name === PREDICTED);
  const legacyThresholds = (config as { thresholds?: Record<string, number> | null }).thresholds;

  const pairModel = config.finetune?.pairs === true;
  /** A pair's ids: the first text's then the second's; how many are the first text's (token type 0). */
  const firstLength = new WeakMap<number[], number>();

  async function scoresOf(ids: number[][]): Promise<Array<{ probabilities: number[]; decided: number[] }>> {
    const { inputIds, attentionMask, dims } = padBatch(ids, padId);
    const feeds: Record<string, ort.Tensor> = {
      [INPUT_IDS]: new ort.Tensor('int64', inputIds, dims),
      [ATTENTION_MASK]: new ort.Tensor('int64', attentionMask, dims),
    };
    if (pairModel) {
      const types = new BigInt64Array(dims[0] * dims[1]);
      ids.forEach((row, r) => types.fill(1n, r * dims[1] + firstLength.get(row)!, r * dims[1] + row.length));
      feeds[TOKEN_TYPE_IDS] = new ort.Tensor('int64', types, dims);
    }
    const out = await session.run(feeds, [PROBABILITIES, ...(decisionOutput ? [decisionOutput] : [])]);
    const data = out[PROBABILITIES].data as Float32Array;
    const K = labels.length;
    return ids.map((_, r) => {
      const probabilities = Array.from(data.subarray(r * K, (r + 1) * K));
      if (!decisionOutput) return { probabilities, decided: decide(task, [probabilities], legacyThresholds ? labels.map((l) => legacyThresholds[l]) : null)[0] };
      if (decisionOutput === PREDICTED_CLASS) return { probabilities, decided: [Number((out[PREDICTED_CLASS].data as BigInt64Array)[r])] };
      const flags = out[PREDICTED].data as Uint8Array;
      return { probabilities, decided: labels.flatMap((_, c) => (flags[r * K + c] ? [c] : [])) };
    });
  }

  const inputsOf = (texts: string[], pairs?: string[]): number[][] => {
    if (!pairModel) return texts.map(encode);
    if (!pairs || pairs.length !== texts.length) throw new Error(`${dir}: a sentence-pair model needs the second text of every input (predict --pair-col)`);
    // A cross-encoder takes the tokenizer's own pair input ([CLS] a [SEP] b [SEP]); its first text ends where type 1 starts.
    if (config.finetune?.cross_encoder) {
      return texts.map((text, i) => {
        const encoded = tokenizer(text, { text_pair: pairs[i], return_token_type_ids: true }) as { input_ids: { data: BigInt64Array }; token_type_ids: { data: BigInt64Array } };
        const row = Array.from(encoded.input_ids.data, Number);
        const types = Array.from(encoded.token_type_ids.data, Number);
        firstLength.set(row, types.includes(1) ? types.indexOf(1) : row.length);
        return row;
      });
    }
    return texts.map((text, i) => {
      const first = encode(text);
      const row = [...first, ...encode(pairs[i])];
      firstLength.set(row, first.length);
      return row;
    });
  };

  return {
    task,
    labels,
    pairs: pairModel,
    async predict(texts, onProgress, signal, pairs): Promise<PredictionRow[]> {
      const scored = await inLengthBatches(inputsOf(texts, pairs), batchSize, scoresOf, onProgress, signal);
      return texts.map((text, i) => ({
        text,
        predicted: scored[i].decided.map((c) => labels[c]),
        probabilities: Object.fromEntries(labels.map((label, c) => [label, scored[i].probabilities[c]])),
      }));
    },
    dispose: () => session.release(),
  };
}
