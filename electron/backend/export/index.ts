// `finetune export`: a trained model folder -> a self-contained Hugging Face style folder:
//   onnx/model.onnx (+ onnx/model_quantized.onnx with --quantize), config.json, tokenizer files, README.md.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunMetrics } from '../../../shared/domain.js';
import { hfEncoderId } from '../encoders/hf.js';
import { LONG_DOC_MODES } from '../encoders/long-docs.js';
import { writeTokenizerFiles } from '../encoders/tokenizer.js';
import { USE_LITE_MAX_TOKENS, useLiteEncoderId, type UseLiteOptions } from '../encoders/use-lite.js';
import { loadUseLiteWeights } from '../encoders/use-lite-model.js';
import { buildUseLiteOnnx, USE_LITE_ONNX_OPSET } from '../encoders/use-lite-onnx.js';
import { readModelFiles, type ModelFiles } from '../training/model-files.js';
import { readFineTunedManifest } from '../training/transformer/saved-model.js';
import { buildClassifierGraph, hfEncoderGraph, type EncoderGraph } from './graph.js';
import { exportConfigBlock } from './config.js';
import { fineTunedExport } from './fine-tuned.js';
import { renderModelCard } from './model-card.js';
import { copyTokenizerFiles } from './tokenizer-files.js';
import { tokenClassifierExport } from './token-classifier.js';
import { isTaggerFolder } from '../training/tagger/files.js';
import { quantizeModel, type QuantizeReport } from './quantize.js';

export interface ExportOptions {
  quantize?: boolean;
  onProgress?: (message: string) => void;
  /** The run's test results for the model card; by default read from metrics.json beside the model folder (CLI runs). */
  metrics?: RunMetrics;
}

export interface ExportResult {
  outDir: string;
  /** Paths relative to outDir. */
  files: string[];
  quantization?: QuantizeReport;
}

export const MODEL_FILE = path.join('onnx', 'model.onnx');
export const QUANTIZED_MODEL_FILE = path.join('onnx', 'model_quantized.onnx');
/** The exported tokenizer never truncates: the graph clips what the encoder sees, and the lexical features see everything. */
const NO_TRUNCATION = 1_000_000;
const HF_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

interface EncoderExport {
  graph: EncoderGraph;
  /** Writes the tokenizer files into outDir; returns their names. */
  writeTokenizer(outDir: string): Promise<string[]>;
  modelType: string;
  tokenizerNote: string;
}

async function hfEncoderExport(folder: string, expectedId: string, maxLength: number | undefined): Promise<EncoderExport> {
  const graph = await hfEncoderGraph(folder, { maxLength });
  const id = await hfEncoderId(graph.settings);
  if (id !== expectedId) {
    throw new Error(`export: the model was trained with encoder '${expectedId}', but ${folder} now holds '${id}' (the folder changed since training; retrain)`);
  }
  const config = JSON.parse(await readFile(path.join(graph.settings.folder, 'config.json'), 'utf8')) as { model_type?: string };
  return {
    graph,
    modelType: config.model_type ?? 'bert',
    tokenizerNote: `The encoder reads the first ${graph.settings.maxLength} token ids (clipped inside the graph); the lexical features read the whole text.`,
    writeTokenizer: (outDir) => copyTokenizerFiles(graph.settings.folder, outDir, HF_TOKENIZER_FILES, NO_TRUNCATION),
  };
}

/** The USE-lite settings (window size, long-document rule) whose encoder id the model was trained with. */
function useLiteOptionsOf(expectedId: string): UseLiteOptions {
  const { version } = loadUseLiteWeights();
  for (const longDocs of LONG_DOC_MODES) {
    for (let maxTokens = 1; maxTokens <= USE_LITE_MAX_TOKENS; maxTokens++) {
      if (useLiteEncoderId(version, { maxTokens, longDocs }) === expectedId) return { maxTokens, longDocs };
    }
  }
  throw new Error(`export: the model was trained with encoder '${expectedId}', which this version of the app (USE-lite ${version}) cannot rebuild; retrain the model`);
}

async function useLiteEncoderExport(expectedId: string, pairs: boolean): Promise<EncoderExport> {
  const options = useLiteOptionsOf(expectedId);
  return {
    graph: {
      opset: USE_LITE_ONNX_OPSET,
      specialTokens: { leading: 0, trailing: 0 }, // its tokenizer.json has no post-processor
      description: `Universal Sentence Encoder lite (512-d, SentencePiece unigram tokenizer; ${options.longDocs} to windows of ${options.maxTokens} ids), converted to ONNX`,
      append: (b, inputIds, attentionMask) => buildUseLiteOnnx(b, inputIds, attentionMask, options),
    },
    // transformers.js needs a known model_type to pick a sequence-classification wrapper; the graph is self-contained.
    modelType: 'bert',
    tokenizerNote: 'tokenizer.json (SentencePiece unigram) is the exact definition the app tokenises with. transformers.js can overflow its stack ' +
      'on a single text of ~200k characters: cut such texts at whitespace into pieces of at most 20k characters and join the ids ' +
      '(exact for this tokenizer), as the app does.' +
      (pairs ? ' This is a sentence-pair model: tokenise each input as a text pair (transformers.js: tokenizer(text, { text_pair, return_token_type_ids: true }); Python: tokenizer(text, text_pair)) and feed token_type_ids too.' : ''),
    async writeTokenizer(outDir) {
      await writeTokenizerFiles(outDir, { modelMaxLength: NO_TRUNCATION, pairs });
      return ['tokenizer.json', 'tokenizer_config.json'];
    },
  };
}

function encoderExport(files: ModelFiles): Promise<EncoderExport> {
  const { spec, id, options } = files.manifest.encoder;
  // A cross-encoder's graph reads the tokenizer's pair input as it is. Word features of both texts would need the
  // pair template's special tokens split out in the graph, which it does not do yet.
  if (files.manifest.pairs && spec !== 'use-lite' && !files.manifest.crossEncoder) throw new Error(`export: this sentence-pair model uses ${spec} without reading the pair as one input; retrain it (pairs on a Hugging Face encoder are read as one input now)`);
  if (files.manifest.crossEncoder && files.lexical) throw new Error('export: this cross-encoder pair model also reads word features of both texts, which the graph cannot split out of the tokenizer\'s pair template yet; train it with --no-lexical to export it (finetune predict --pair-col uses it as it is)');
  if (spec.startsWith('hf:')) return hfEncoderExport(spec.slice(3), id, options?.maxTokens);
  if (spec === 'use-lite') return useLiteEncoderExport(id, files.manifest.pairs === true);
  throw new Error(`export: unknown encoder '${spec}' in the model manifest`);
}

function headDescription(head: ModelFiles['manifest']['head'], lexicalFeatures: number): string {
  return `${head.kind}${head.kind === 'mlp' ? ` (${head.hidden} hidden units, ReLU)` : ''}` +
    (lexicalFeatures > 0 ? ` over the embedding plus ${lexicalFeatures} TF-IDF unigram/bigram features of the token ids` : ' over the embedding');
}

export async function readRunMetrics(modelDir: string): Promise<RunMetrics | null> {
  const file = path.join(path.dirname(path.resolve(modelDir)), 'metrics.json');
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as RunMetrics) : null;
}

function configJson(files: ModelFiles, encoder: EncoderExport, lexicalFeatures: number): Record<string, unknown> {
  const { manifest } = files;
  return {
    architectures: ['FinetuneTextClassifier'],
    model_type: encoder.modelType,
    ...exportConfigBlock(
      manifest,
      { spec: manifest.encoder.spec, id: manifest.encoder.id, dim: manifest.encoder.dim, description: encoder.graph.description },
      { head: manifest.head.kind, lexical_features: lexicalFeatures, ...(manifest.pairs ? { pairs: true, ...(manifest.crossEncoder ? { cross_encoder: true } : {}), inputs: 'tokenizer(text, text_pair): input_ids, token_type_ids (0: text, 1: text_pair), attention_mask' } : {}) },
    ),
  };
}

/** One model's export, whatever its kind: the graph's bytes, the files beside it, and its model card. */
export interface ModelExport {
  bytes: Uint8Array;
  /** Writes config.json, the tokenizer and any other files into outDir; returns their names. */
  writeFiles(outDir: string): Promise<string[]>;
  card(metrics: RunMetrics | null, quantized: boolean): string;
}

async function headModelExport(modelDir: string): Promise<ModelExport> {
  const files = await readModelFiles(modelDir);
  const encoder = await encoderExport(files);
  const lexicalFeatures = files.lexical?.idf.length ?? 0;
  return {
    bytes: buildClassifierGraph(files, encoder.graph, {
      finetune_labels: JSON.stringify(files.manifest.labels),
      finetune_task: files.manifest.task,
      finetune_encoder: files.manifest.encoder.id,
    }),
    async writeFiles(outDir) {
      await writeFile(path.join(outDir, 'config.json'), JSON.stringify(configJson(files, encoder, lexicalFeatures), null, 2));
      return ['config.json', ...(await encoder.writeTokenizer(outDir))];
    },
    card: (metrics, quantized) => renderModelCard({
      manifest: files.manifest,
      metrics,
      encoderDescription: encoder.graph.description,
      headDescription: headDescription(files.manifest.head, lexicalFeatures),
      graphDescription: 'One ONNX graph holds the encoder, the lexical features and the classification head',
      quantized,
      tokenizerNote: encoder.tokenizerNote,
    }),
  };
}

export async function exportModel(modelDir: string, outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const progress = opts.onProgress ?? (() => {});
  progress('building the ONNX graph');
  if (!existsSync(path.join(modelDir, 'manifest.json')) && existsSync(path.join(modelDir, MODEL_FILE))) {
    throw new Error(`export: ${modelDir} is already an ONNX export (a run imported from a training job): use that folder as it is`);
  }
  const fineTuned = await readFineTunedManifest(modelDir).catch(() => null);
  const model = fineTuned ? await fineTunedExport(modelDir, fineTuned) : (await isTaggerFolder(modelDir)) ? await tokenClassifierExport(modelDir) : await headModelExport(modelDir);
  await mkdir(path.join(outDir, 'onnx'), { recursive: true });
  await writeFile(path.join(outDir, MODEL_FILE), model.bytes);
  const written = [MODEL_FILE];
  let quantization: QuantizeReport | undefined;
  if (opts.quantize) {
    progress('quantizing weights to int8');
    const quantized = quantizeModel(model.bytes);
    quantization = quantized.report;
    await writeFile(path.join(outDir, QUANTIZED_MODEL_FILE), quantized.bytes);
    written.push(QUANTIZED_MODEL_FILE);
  }
  progress('writing config, tokenizer and model card');
  written.push(...(await model.writeFiles(outDir)));
  await writeFile(path.join(outDir, 'README.md'), model.card(opts.metrics ?? (await readRunMetrics(modelDir)), Boolean(opts.quantize)));
  written.push('README.md');
  return { outDir: path.resolve(outDir), files: written, quantization };
}
