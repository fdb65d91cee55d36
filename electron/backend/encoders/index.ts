// The one entry point for text encoders: `loadEncoder(spec, opts)`.
//   'use-lite' (default): the shipped Universal Sentence Encoder lite, through tfjs or ONNX Runtime.
//   'hf:<folder>': a local Hugging Face folder (see hf.ts).
import { loadHfEncoder } from './hf.js';
import type { LongDocMode } from './long-docs.js';
import type { TextEncoder } from './types.js';
import { createUseLiteEncoder, resolveUseLiteOptions, type UseLiteRunner } from './use-lite.js';
import { loadUseLiteWeights } from './use-lite-model.js';
import { createOnnxUseLiteRunner } from './use-lite-onnx.js';
import { createTfjsUseLiteRunner } from './use-lite-tfjs.js';

export type { TextEncoder, EmbedProgress } from './types.js';
export type { LongDocMode } from './long-docs.js';
export const DEFAULT_ENCODER_SPEC = 'use-lite';

export interface LoadEncoderOptions {
  /** Ids per window (use-lite: 1–128, default 128; hf: clip length). */
  maxTokens?: number;
  /** How a text longer than maxTokens ids is embedded (use-lite only; default 'truncate'). */
  longDocs?: LongDocMode;
  /**
   * Where the use-lite forward pass runs. 'auto' = 'onnx' (ONNX Runtime, native kernels on every core), measured
   * faster than tfjs-wasm (one thread in Node) on the same e-mails; both give the same vectors (max |Δ| < 1e-6).
   */
  backend?: 'auto' | 'tfjs' | 'onnx';
}

export async function loadEncoder(spec: string = DEFAULT_ENCODER_SPEC, opts: LoadEncoderOptions = {}): Promise<TextEncoder> {
  if (spec.startsWith('hf:')) {
    return loadHfEncoder(spec.slice(3), { maxLength: opts.maxTokens });
  }
  if (spec !== 'use-lite') {
    throw new Error(`unknown encoder '${spec}': use 'use-lite' or 'hf:<folder with onnx/model.onnx and tokenizer.json>'`);
  }
  const settings = resolveUseLiteOptions(opts);
  const weights = loadUseLiteWeights();
  const runner = await createUseLiteRunner(opts.backend ?? 'auto');
  return createUseLiteEncoder(runner, weights.version, settings);
}

/** 'auto' is ONNX Runtime, and tfjs where ONNX Runtime cannot load (e.g. no native binary for this platform). */
async function createUseLiteRunner(backend: NonNullable<LoadEncoderOptions['backend']>): Promise<UseLiteRunner> {
  if (backend === 'tfjs') return createTfjsUseLiteRunner();
  if (backend === 'onnx') return createOnnxUseLiteRunner();
  try {
    return await createOnnxUseLiteRunner();
  } catch {
    return createTfjsUseLiteRunner();
  }
}
