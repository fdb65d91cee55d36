// A fine-tuned Hugging Face family classifier (training/transformer/model.ts) as ONNX operations on the same
// weights, op for op: embeddings (+ RoBERTa's padding-offset positions, ELECTRA's projection), post-norm
// attention layers with the −10000 additive mask, and the two-layer head on the first token.
import type { TransformerConfig, Activation } from '../training/transformer/architecture.js';
import type { OwnTensor } from '../training/transformer/checkpoint.js';
import { OnnxGraphBuilder, float, int, ints } from '../onnx/graph-builder.js';

export const TRANSFORMER_OPSET = 17;

/**
 * The app's truncation in the graph, so any tokenizer call gives the app's answer: a row longer than `maxLength`
 * keeps its first maxLength − trailing ids and its last `trailing` ids (the closing special tokens), as
 * transformers' truncation=True does. Rows that fit, or that were truncated already, are unchanged.
 */
export function appendTruncation(b: OnnxGraphBuilder, ids: string, mask: string, maxLength: number, trailing: number): [string, string] {
  const i64 = (v: number[]) => b.constantInt64(v, [v.length]);
  const scalar = (v: number) => b.constantInt64([v], []);
  const [shape] = b.node('Shape', [ids]);
  const [seq] = b.node('Gather', [shape, scalar(1)], { axis: int(0) });
  const [width] = b.node('Min', [seq, scalar(maxLength)]);
  const [positions] = b.node('Range', [scalar(0), width, scalar(1)]); // [W]
  const [lengths] = b.node('ReduceSum', [mask, i64([1])], { keepdims: int(1) }); // [B, 1]
  const [shift] = b.node('Max', [b.node('Sub', [lengths, scalar(maxLength)])[0], scalar(0)]);
  const [inTail] = b.node('Cast', [b.node('GreaterOrEqual', [positions, scalar(maxLength - trailing)])[0]], { to: int(7) });
  const [index] = b.node('Add', [positions, b.node('Mul', [inTail, shift])[0]]); // [B, W]
  return [b.node('GatherElements', [ids, index], { axis: int(1) })[0], b.node('GatherElements', [mask, index], { axis: int(1) })[0]];
}

/** Appends the classifier; returns the name of its logits [batch, classes] (before temperature and calibration). */
export function appendTransformerLogits(b: OnnxGraphBuilder, config: TransformerConfig, params: Map<string, OwnTensor>, ids: string, mask: string): string {
  const c = config;
  const weight = (name: string): string => {
    const p = params.get(name);
    if (!p) throw new Error(`export: the fine-tuned model has no parameter '${name}'`);
    return b.initializer(`model.${name}`, p.values, p.shape);
  };
  const op = (type: string, inputs: string[], attrs = {}) => b.node(type, inputs, attrs)[0];
  const dense = (x: string, name: string) => op('Add', [op('MatMul', [x, weight(`${name}.w`)]), weight(`${name}.b`)]);
  const norm = (x: string, name: string) =>
    op('LayerNormalization', [x, weight(`${name}.g`), weight(`${name}.b`)], { axis: int(-1), epsilon: float(c.layerNormEps) });
  const scalarF = (v: number) => b.constantFloat([v], []);

  let x = op('Gather', [weight('embeddings.word'), ids], { axis: int(0) });
  let positionIds: string;
  if (c.positionsFromPadding) {
    // RoBERTa: cumulative count of real tokens, offset by the padding id; padding itself gets position padId.
    const [counted] = b.node('CumSum', [mask, b.constantInt64([1], [])]);
    positionIds = op('Add', [op('Mul', [counted, mask]), b.constantInt64([c.padId], [])]);
  } else {
    const [shape] = b.node('Shape', [ids]);
    const [seq] = b.node('Gather', [shape, b.constantInt64([1], [])], { axis: int(0) });
    positionIds = op('Range', [b.constantInt64([0], []), seq, b.constantInt64([1], [])]);
  }
  x = op('Add', [x, op('Gather', [weight('embeddings.position'), positionIds], { axis: int(0) })]);
  if (c.typeVocab > 0) {
    // Every token has type 0 (one text per input): row 0 of the type table, added everywhere.
    const table = params.get('embeddings.type')!;
    x = op('Add', [x, b.initializer('model.embeddings.type0', table.values.slice(0, c.embeddingSize), [c.embeddingSize])]);
  }
  x = norm(x, 'embeddings.norm');
  if (params.has('embeddings.project.w')) x = dense(x, 'embeddings.project');

  const [maskFloat] = b.node('Cast', [mask], { to: int(1) });
  const maskBias = op('Unsqueeze', [op('Mul', [op('Sub', [scalarF(1), maskFloat]), scalarF(-10000)]), b.constantInt64([1, 2], [2])]);
  const headDim = c.hidden / c.heads;
  const splitHeads = b.constantInt64([0, 0, c.heads, headDim], [4]);
  const mergeHeads = b.constantInt64([0, 0, c.hidden], [3]);
  for (let l = 0; l < c.layers; l++) {
    const heads = (y: string, perm: number[]) => op('Transpose', [op('Reshape', [y, splitHeads])], { perm: ints(perm) });
    const q = heads(dense(x, `layer${l}.query`), [0, 2, 1, 3]);
    const kT = heads(dense(x, `layer${l}.key`), [0, 2, 3, 1]);
    const v = heads(dense(x, `layer${l}.value`), [0, 2, 1, 3]);
    const scores = op('Add', [op('Mul', [op('MatMul', [q, kT]), scalarF(1 / Math.sqrt(headDim))]), maskBias]);
    const context = op('MatMul', [op('Softmax', [scores], { axis: int(-1) }), v]);
    const merged = op('Reshape', [op('Transpose', [context], { perm: ints([0, 2, 1, 3]) }), mergeHeads]);
    const attended = norm(op('Add', [dense(merged, `layer${l}.attention_out`), x]), `layer${l}.attention_norm`);
    const up = activate(b, dense(attended, `layer${l}.up`), c.activation);
    x = norm(op('Add', [dense(up, `layer${l}.down`), attended]), `layer${l}.output_norm`);
  }
  const first = op('Gather', [x, b.constantInt64([0], [])], { axis: int(1) });
  return dense(activate(b, dense(first, 'head.dense'), c.headActivation), 'head.out');
}

function activate(b: OnnxGraphBuilder, x: string, kind: Activation): string {
  const op = (type: string, inputs: string[]) => b.node(type, inputs)[0];
  const f = (v: number) => b.constantFloat([v], []);
  switch (kind) {
    case 'gelu':
      return op('Mul', [op('Mul', [x, f(0.5)]), op('Add', [op('Erf', [op('Mul', [x, f(Math.SQRT1_2)])]), f(1)])]);
    case 'gelu_tanh': {
      const cubic = op('Mul', [op('Mul', [x, x]), x]);
      const inner = op('Mul', [op('Add', [x, op('Mul', [cubic, f(0.044715)])]), f(Math.sqrt(2 / Math.PI))]);
      return op('Mul', [op('Mul', [x, f(0.5)]), op('Add', [op('Tanh', [inner]), f(1)])]);
    }
    case 'relu':
      return op('Relu', [x]);
    case 'tanh':
      return op('Tanh', [x]);
  }
}
