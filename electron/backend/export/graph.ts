// The exported classifier as ONE ONNX graph: token ids + attention mask -> encoder -> embedding, the lexical
// TF-IDF features of the same ids, the head, temperature, and softmax/sigmoid. Every step mirrors the app's
// JS/tfjs path (encoders/hf.ts, training/lexical.ts, training/heads.ts, training/predictor.ts) operation by operation.
import { readFile } from 'node:fs/promises';
import type { TaskKind } from '../../../shared/domain.js';
import type { DecisionRule } from '../../../shared/decision.js';
import type { HeadWeights } from '../training/heads.js';
import type { LexicalRecipe } from '../training/lexical.js';
import type { ModelFiles } from '../training/model-files.js';
import { SECOND_TEXT_OFFSET } from '../training/pairs.js';
import { hfSpecialTokenLayout, loadHfTokenizer, resolveHfEncoderSettings, type HfEncoderOptions, type HfEncoderSettings } from '../encoders/hf.js';
import { OnnxGraphBuilder, decodeModel, int, ints, longToNumber, tensor } from '../onnx/graph-builder.js';

export const INPUT_IDS = 'input_ids';
export const ATTENTION_MASK = 'attention_mask';
/** Pair models: 0 on the first text's ids, 1 on the second's (the Hugging Face text-pair layout). */
export const TOKEN_TYPE_IDS = 'token_type_ids';
export const LOGITS = 'logits';
export const PROBABILITIES = 'probabilities';
/** Single-label: the decided class index, argmax_k (scale_k · p_k − shift_k) with the model's decision rule. */
export const PREDICTED_CLASS = 'predicted_class';
/** Multi-label: whether each class is decided (probability at or above its threshold). */
export const PREDICTED = 'predicted';
const BATCH = 'batch_size';
const SEQUENCE = 'sequence_length';

/** Appends an encoder to the builder: (input_ids, attention_mask) -> the embedding tensor [batch, dim]. */
export interface EncoderGraph {
  opset: number;
  /** What config.json and the card say the encoder is. */
  description: string;
  /** Special tokens the tokenizer adds before/after each text: in input_ids, but never in the lexical features. */
  specialTokens: { leading: number; trailing: number };
  /** `tokenTypes`: a cross-encoder's pair input (0 on the first text, 1 on the second); absent: zeros. */
  append(b: OnnxGraphBuilder, inputIds: string, attentionMask: string, tokenTypes?: string): string;
}

/** Reduce ops took `axes` as an attribute until opset 18 (ReduceSum: until 13); this picks the right form. */
function reduce(b: OnnxGraphBuilder, op: 'ReduceSum' | 'ReduceL2', x: string, axes: number[], keepdims: boolean): string {
  const axesAsInput = b.opset >= (op === 'ReduceSum' ? 13 : 18);
  return axesAsInput
    ? b.node(op, [x, b.constantInt64(axes, [axes.length])], { keepdims: int(keepdims ? 1 : 0) })[0]
    : b.node(op, [x], { axes: ints(axes), keepdims: int(keepdims ? 1 : 0) })[0];
}

/** x / max(||x||₂ over the last axis, floor), as the app normalises (all-zero rows stay zero). */
function l2Normalize(b: OnnxGraphBuilder, x: string, floor: number): string {
  const norm = reduce(b, 'ReduceL2', x, [-1], true);
  const [safe] = b.node('Max', [norm, b.constantFloat([floor], [])]);
  return b.node('Div', [x, safe])[0];
}

export async function hfEncoderGraph(folder: string, opts: HfEncoderOptions = {}): Promise<EncoderGraph & { settings: HfEncoderSettings; modelBytes: Uint8Array }> {
  const settings = await resolveHfEncoderSettings(folder, opts);
  const specialTokens = hfSpecialTokenLayout(await loadHfTokenizer(settings.folder));
  const modelBytes = new Uint8Array(await readFile(settings.modelPath));
  const model = decodeModel(modelBytes);
  const opset = longToNumber(model.opset_import?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  if (opset < 13) throw new Error(`${settings.modelPath}: opset ${opset} is too old to export (re-export the model with opset 13 or newer)`);
  const inputNames = new Set((model.graph?.input ?? []).map((i) => i.name));
  return {
    opset,
    settings,
    modelBytes,
    specialTokens,
    description: `Hugging Face ${settings.folder} (${settings.pooling} pooling${settings.normalize ? ', L2-normalised' : ''}, first ${settings.maxLength} ids)`,
    append(b, inputIds, attentionMask, tokenTypes) {
      // The app clips to the first maxLength ids (encoders/hf.ts); Slice clamps when the batch is shorter.
      const clip = (x: string) => b.node('Slice', [x, b.constantInt64([0], [1]), b.constantInt64([settings.maxLength], [1]), b.constantInt64([1], [1])])[0];
      const ids = clip(inputIds);
      const mask = clip(attentionMask);
      const bindings: Record<string, string> = { input_ids: ids, attention_mask: mask };
      if (inputNames.has('token_type_ids') && tokenTypes) bindings.token_type_ids = clip(tokenTypes);
      else if (inputNames.has('token_type_ids')) {
        const [shape] = b.node('Shape', [ids]);
        bindings.token_type_ids = b.node('ConstantOfShape', [shape], { value: tensor(BigInt64Array.from([0n]), [1]) })[0];
      }
      for (const name of inputNames) {
        if (!(name in bindings) && !model.graph!.initializer.some((t) => t.name === name)) {
          throw new Error(`${settings.modelPath}: the model takes an input '${name}' that the export cannot provide (only input_ids, attention_mask, token_type_ids)`);
        }
      }
      const outputs = b.inlineModel(modelBytes, bindings, 'encoder/');
      const states = outputs.last_hidden_state ?? Object.values(outputs)[0];
      let pooled: string;
      if (settings.pooling === 'cls') {
        pooled = b.node('Gather', [states, b.constantInt64([0], [])], { axis: int(1) })[0];
      } else {
        const [maskFloat] = b.node('Cast', [mask], { to: int(1) });
        const [mask3] = b.node('Unsqueeze', [maskFloat, b.constantInt64([2], [1])]);
        const [masked] = b.node('Mul', [states, mask3]);
        const sum = reduce(b, 'ReduceSum', masked, [1], false);
        const count = reduce(b, 'ReduceSum', maskFloat, [1], true);
        const [safeCount] = b.node('Max', [count, b.constantFloat([1], [])]);
        pooled = b.node('Div', [sum, safeCount])[0];
      }
      return settings.normalize ? l2Normalize(b, pooled, 1e-12) : pooled;
    },
  };
}

/**
 * The lexical features of training/lexical.ts: TF counts -> ln(1 + tf) · idf -> L2 row norm, over the ids of the
 * text itself: padding and the special tokens the tokenizer added around it become recipe.padId (-1), which no
 * n-gram in the pool contains (the app's tokenize() never includes those added tokens).
 */
function appendLexical(b: OnnxGraphBuilder, recipe: LexicalRecipe, inputIds: string, attentionMask: string, specialTokens: EncoderGraph['specialTokens']): string {
  let [isText] = b.node('Cast', [attentionMask], { to: int(9) });
  if (specialTokens.leading > 0 || specialTokens.trailing > 0) {
    const length = reduce(b, 'ReduceSum', attentionMask, [1], true);
    const [shape] = b.node('Shape', [inputIds]);
    const [seq] = b.node('Gather', [shape, b.constantInt64([1], [])], { axis: int(0) });
    const [positions] = b.node('Range', [b.constantInt64([0], []), seq, b.constantInt64([1], [])]);
    const [afterLeading] = b.node('GreaterOrEqual', [positions, b.constantInt64([specialTokens.leading], [])]);
    const [textEnd] = b.node('Sub', [length, b.constantInt64([specialTokens.trailing], [])]);
    const [beforeTrailing] = b.node('Less', [positions, textEnd]);
    const [inside] = b.node('And', [afterLeading, beforeTrailing]);
    isText = b.node('And', [isText, inside])[0];
  }
  const [ids] = b.node('Where', [isText, inputIds, b.constantInt64([recipe.padId], [])]);
  const [counts] = b.node('TfIdfVectorizer', [ids], {
    mode: 'TF',
    min_gram_length: int(recipe.minGramLength),
    max_gram_length: int(recipe.maxGramLength),
    max_skip_count: int(recipe.maxSkipCount),
    ngram_counts: ints(recipe.ngramCounts),
    ngram_indexes: ints(recipe.ngramIndexes),
    pool_int64s: ints(recipe.poolInt64s),
  });
  const [plusOne] = b.node('Add', [counts, b.constantFloat([1], [])]);
  const [sublinear] = b.node('Log', [plusOne]);
  const [weighted] = b.node('Mul', [sublinear, b.initializer('lexical.idf', Float32Array.from(recipe.idf), [recipe.idf.length])]);
  return l2Normalize(b, weighted, recipe.normFloor);
}

function weight(b: OnnxGraphBuilder, weights: HeadWeights, name: string): string {
  const w = weights[name];
  if (!w) throw new Error(`model: the head has no '${name}' weights`);
  return b.initializer(`head.${name}`, w.values, w.shape);
}

/** The graph's inputs, as the Hugging Face text-classification layout names them: input_ids, attention_mask. */
export function classifierInputs(b: OnnxGraphBuilder): [string, string] {
  return [b.input(INPUT_IDS, 'int64', [BATCH, SEQUENCE]), b.input(ATTENTION_MASK, 'int64', [BATCH, SEQUENCE])];
}

/**
 * A pair model's input, one row per pair: the first text's ids (type 0) then the second's (type 1), as a tokenizer
 * called with a text pair writes them. Both texts go through the encoder in one batch of 2 × batch rows; the result
 * is the pair features [u, v, |u − v|, u ∘ v] of training/pairs.ts, and the ids the word features read (the second
 * text's moved past the vocabulary, as pairTokenIds does).
 */
function appendPairEncoding(b: OnnxGraphBuilder, encoder: EncoderGraph, ids: string, mask: string, types: string): { embedding: string; lexicalIds: string } {
  const op = (type: string, inputs: string[], attrs = {}) => b.node(type, inputs, attrs)[0];
  const i64 = (v: number[]) => b.constantInt64(v, [v.length]);
  const scalar = (v: number) => b.constantInt64([v], []);
  const second = op('Mul', [mask, types]);
  const maskA = op('Sub', [mask, second]);
  const lengthA = reduce(b, 'ReduceSum', maskA, [1], true);
  const lengthB = reduce(b, 'ReduceSum', second, [1], true);
  const [shape] = b.node('Shape', [ids]);
  const seq = op('Gather', [shape, scalar(1)], { axis: int(0) });
  const positions = op('Range', [scalar(0), seq, scalar(1)]);
  // The second text, moved to the start of its row: position p reads p + length(a), clamped inside the row.
  const index = op('Min', [op('Add', [positions, lengthA]), op('Sub', [seq, scalar(1)])]);
  const idsB = op('GatherElements', [ids, index], { axis: int(1) });
  const maskB = op('Cast', [op('Less', [positions, lengthB])], { to: int(7) });
  const both = encoder.append(b, op('Concat', [op('Mul', [ids, maskA]), idsB], { axis: int(0) }), op('Concat', [maskA, maskB], { axis: int(0) }));
  const batch = op('Gather', [shape, i64([0])], { axis: int(0) });
  const [u, v] = b.node('Split', [both, op('Concat', [batch, batch], { axis: int(0) })], { axis: int(0) }, 2);
  const embedding = op('Concat', [u, v, op('Abs', [op('Sub', [u, v])]), op('Mul', [u, v])], { axis: int(1) });
  return { embedding, lexicalIds: op('Add', [ids, op('Mul', [types, scalar(SECOND_TEXT_OFFSET)])]) };
}

/** Builds the whole classifier graph; returns the serialised model. */
export function buildClassifierGraph(files: ModelFiles, encoder: EncoderGraph, metadata: Record<string, string>): Uint8Array {
  const { manifest, weights, lexical } = files;
  const b = new OnnxGraphBuilder('finetune_classifier', encoder.opset);
  const [inputIds, attentionMask] = classifierInputs(b);
  let embedding: string;
  let lexicalIds = inputIds;
  if (manifest.pairs && manifest.crossEncoder) {
    embedding = encoder.append(b, inputIds, attentionMask, b.input(TOKEN_TYPE_IDS, 'int64', [BATCH, SEQUENCE]));
  } else if (manifest.pairs) {
    ({ embedding, lexicalIds } = appendPairEncoding(b, encoder, inputIds, attentionMask, b.input(TOKEN_TYPE_IDS, 'int64', [BATCH, SEQUENCE])));
  } else {
    embedding = encoder.append(b, inputIds, attentionMask);
  }

  const head = manifest.head;
  let logits: string;
  if (head.kind === 'linear') {
    logits = b.node('MatMul', [embedding, weight(b, weights, 'dense')])[0];
  } else {
    const [hiddenProduct] = b.node('MatMul', [embedding, weight(b, weights, 'hidden')]);
    const [hiddenBiased] = b.node('Add', [hiddenProduct, weight(b, weights, 'hiddenBias')]);
    const [activations] = b.node('Relu', [hiddenBiased]);
    logits = b.node('MatMul', [activations, weight(b, weights, 'output')])[0];
  }
  if (lexical && weights.lexical) {
    const features = appendLexical(b, lexical, lexicalIds, attentionMask, encoder.specialTokens);
    const [lexicalLogits] = b.node('MatMul', [features, weight(b, weights, 'lexical')]);
    logits = b.node('Add', [logits, lexicalLogits])[0];
  }
  const [biased] = b.node('Add', [logits, weight(b, weights, 'bias')]);
  appendCalibratedOutputs(b, biased, manifest);
  return b.toBytes(metadata);
}

/** What the graph's tail needs of a model: its task, classes, calibration and decision rule. */
export interface CalibratedOutputsSpec {
  task: TaskKind;
  labels: string[];
  temperature: number;
  calibrationBias?: number[] | null;
  thresholds: number[] | null;
  decisionRule?: DecisionRule | null;
}

/** Raw logits -> the graph's outputs: calibrated logits, probabilities and the decision, as the app computes them. */
export function appendCalibratedOutputs(b: OnnxGraphBuilder, logits: string, manifest: CalibratedOutputsSpec): void {
  const classes = manifest.labels.length;
  // Calibrated logits: z / T + β (training/calibrate.ts); β is absent (zero) in models from before it existed.
  const [tempered] = b.node('Div', [logits, b.constantFloat([manifest.temperature], [])]);
  const calibrated = manifest.calibrationBias ? b.node('Add', [tempered, b.initializer('calibration.bias', Float32Array.from(manifest.calibrationBias), [classes])])[0] : tempered;
  b.outputFrom(calibrated, LOGITS, 'float32', [BATCH, classes]);
  const single = manifest.task === 'single_label';
  const [probabilities] = single ? b.node('Softmax', [calibrated], { axis: int(-1) }) : b.node('Sigmoid', [calibrated]);
  b.outputFrom(probabilities, PROBABILITIES, 'float32', [BATCH, classes]);
  // The decision rule travels in the graph too, so every runtime decides as the app does.
  if (single) {
    const rule = manifest.decisionRule ?? { scale: new Array<number>(classes).fill(1), shift: new Array<number>(classes).fill(0) };
    const [scaled] = b.node('Mul', [probabilities, b.initializer('decision.scale', Float32Array.from(rule.scale), [classes])]);
    const [shifted] = b.node('Sub', [scaled, b.initializer('decision.shift', Float32Array.from(rule.shift), [classes])]);
    const [decided] = b.node('ArgMax', [shifted], { axis: int(-1), keepdims: int(0) });
    b.outputFrom(decided, PREDICTED_CLASS, 'int64', [BATCH]);
  } else {
    const thresholds = manifest.thresholds ?? new Array<number>(classes).fill(0.5);
    const [decided] = b.node('GreaterOrEqual', [probabilities, b.initializer('decision.thresholds', Float32Array.from(thresholds), [classes])]);
    b.outputFrom(decided, PREDICTED, 'bool', [BATCH, classes]);
  }
}
