// The shipped USE-lite encoder rebuilt as trainable tfjs variables from the package's weights, computing what
// the frozen graph computes (use-lite-onnx.ts describes it op by op), with a linear classification head on its
// unit-length sentence vector. Parts for the depths: embeddings, layer 0, layer 1 with the tanh layer on top of
// the pooled states ("top-1"), and the head.
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfRuntime } from '../../tf/backend.js';
import { loadUseLiteWeights, USE_LITE_DIM, type UseLiteWeights } from '../../encoders/use-lite-model.js';
import type { TensorMap } from './safetensors.js';
import { decaysByName, layerNorm, ownName, type Depth, type EncodedBatch, type TrainableClassifier } from './trainable.js';

type Tf = TfRuntime['tf'];
type Tensor = tfTypes.Tensor;

const P = 'module_apply_default/Encoder_en/';
const STACK = `${P}KonaTransformer/Encode/TransformerStack/`;
const LAYER = (i: number) => `${P}KonaTransformer/Encode/Layer_${i}/TransformerLayer/`;
const KERNEL = (i: number) => `module/Encoder_en/KonaTransformer/Encode/Layer_${i}/TransformerLayer/`;
const LAYERS = [
  { heads: 4, headDepth: 64, projectResidual: true },
  { heads: 4, headDepth: 128, projectResidual: false },
];
const LAYER_NORM_EPS = 1e-6;
/** Dropout on the residual branches while training (the inference graph has none). */
const RESIDUAL_DROPOUT = 0.1;

/** Our parameter name → the graph's weight name. */
function graphNames(): Record<string, string> {
  const names: Record<string, string> = { 'embeddings.word': 'module/Embeddings_en' };
  LAYERS.forEach((spec, i) => {
    const l = LAYER(i);
    const norm = (own: string, prefix: string) => {
      names[`layer${i}.${own}.g`] = `${prefix}layer_norm_scale/ConcatPartitions/concat`;
      names[`layer${i}.${own}.b`] = `${prefix}layer_norm_bias/ConcatPartitions/concat`;
    };
    norm('attention_norm', `${l}layer_prepostprocess/layer_norm/`);
    names[`layer${i}.qkv.w`] = `${KERNEL(i)}MultiheadAttention/qkv_transform_single/kernel/part_0`;
    names[`layer${i}.qkv.b`] = `${l}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`;
    names[`layer${i}.attention_out.w`] = `${KERNEL(i)}MultiheadAttention/output_transform_single/kernel/part_0`;
    names[`layer${i}.attention_out.b`] = `${l}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`;
    if (spec.projectResidual) {
      names[`layer${i}.residual.w`] = `${l}dense/kernel/ConcatPartitions/concat`;
      names[`layer${i}.residual.b`] = `${l}dense/bias/ConcatPartitions/concat`;
    }
    norm('ffn_norm', `${l}FFN/layer_prepostprocess/layer_norm/`);
    for (const [own, conv] of [['up', 'conv1'], ['down', 'conv2']]) {
      names[`layer${i}.${own}.w`] = `${STACK}Layer_${i}/TransformerLayer/FFN/${conv}/Tensordot/Reshape_1`;
      names[`layer${i}.${own}.b`] = `${l}FFN/${conv}/bias/ConcatPartitions/concat`;
    }
  });
  names['pooler.w'] = 'module/Encoder_en/hidden_layers/tanh_layer_0/weights';
  names['pooler.b'] = 'module/Encoder_en/hidden_layers/tanh_layer_0/bias';
  return names;
}

let modelCount = 0;

/** The package's weights with a fine-tuned model's variables in their places (what the ONNX export builds from). */
export function fineTunedUseLiteWeights(tensors: TensorMap): UseLiteWeights {
  const base = loadUseLiteWeights();
  const replaced = new Map(Object.entries(graphNames()).map(([own, graphName]) => [graphName, own]));
  return {
    ...base,
    get(name) {
      const own = replaced.get(name);
      if (!own) return base.get(name);
      const saved = tensors.get(own);
      if (!saved) throw new Error(`fine-tuned USE-lite weights: ${own} is missing`);
      return { data: saved.data, shape: saved.shape };
    },
  };
}

export interface LinearHeadInit {
  /** [USE_LITE_DIM, classes], row-major. */
  weights: Float32Array;
  bias: Float32Array;
}

export class UseLiteClassifier implements TrainableClassifier {
  readonly params = new Map<string, tfTypes.Variable>();
  private readonly timingScales: tfTypes.Tensor2D;
  private readonly attentionScales: number[];

  /** `head` starts the linear head somewhere useful (a head fitted on the frozen vectors); default zeros. */
  constructor(private readonly tf: Tf, readonly classes: number, head?: LinearHeadInit) {
    const weights = loadUseLiteWeights();
    const scope = `uselite${++modelCount}`;
    for (const [name, graphName] of Object.entries(graphNames())) {
      const { data, shape } = weights.get(graphName);
      // 1×1 convolution kernels [1, 1, in, out] are dense [in, out].
      const dims = shape.length === 4 ? [shape[2], shape[3]] : shape;
      this.params.set(name, tf.variable(tf.tensor(Float32Array.from(data), dims), true, `${scope}/${name}`));
    }
    this.params.set('head.w', tf.variable(tf.tensor2d(head?.weights ?? new Float32Array(USE_LITE_DIM * classes), [USE_LITE_DIM, classes]), true, `${scope}/head.w`));
    this.params.set('head.b', tf.variable(tf.tensor1d(head?.bias ?? new Float32Array(classes)), true, `${scope}/head.b`));
    const inverse = weights.get(`${STACK}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`);
    this.timingScales = tf.tensor2d(Float32Array.from(inverse.data), [1, inverse.data.length]);
    this.attentionScales = LAYERS.map((_, i) => weights.get(`${STACK}Layer_${i}/TransformerLayer/MultiheadAttention/mul/y`).data[0]);
  }

  /** A fine-tuned model saved as its variables (saved-model.ts). */
  static fromTensors(tf: Tf, classes: number, tensors: TensorMap): UseLiteClassifier {
    const model = new UseLiteClassifier(tf, classes);
    for (const [name, variable] of model.params) {
      const saved = tensors.get(name);
      if (!saved || saved.data.length !== variable.size) {
        model.dispose();
        throw new Error(`fine-tuned USE-lite weights: ${name} is ${saved ? `of size ${saved.data.length}, expected ${variable.size}` : 'missing'}`);
      }
      tf.tidy(() => variable.assign(tf.tensor(saved.data, variable.shape)));
    }
    return model;
  }

  /** Replaces the linear head (after contrastive tuning, a head fitted on the tuned vectors). */
  setHead(head: LinearHeadInit): void {
    const { tf } = this;
    tf.tidy(() => {
      this.params.get('head.w')!.assign(tf.tensor2d(head.weights, [USE_LITE_DIM, this.classes]));
      this.params.get('head.b')!.assign(tf.tensor1d(head.bias));
    });
  }

  trainable(depth: Depth): tfTypes.Variable[] {
    const part = (name: string): 'embeddings' | number | 'top' | 'head' => {
      if (name.startsWith('head.')) return 'head';
      if (name.startsWith('pooler.')) return 'top';
      if (name.startsWith('embeddings.')) return 'embeddings';
      return Number(/^layer(\d+)\./.exec(name)![1]);
    };
    const learns = (name: string): boolean => {
      const p = part(name);
      if (p === 'head') return true;
      if (depth.kind === 'head') return false;
      // The tanh layer sits above the last transformer layer, so it learns with any top-k.
      if (p === 'top') return true;
      if (depth.kind === 'top') return typeof p === 'number' && p >= LAYERS.length - depth.layers;
      return p !== 'embeddings' || !depth.freezeEmbeddings;
    };
    return [...this.params].filter(([name]) => learns(name)).map(([, v]) => v);
  }

  isHead(variable: tfTypes.Variable): boolean {
    return ownName(variable).startsWith('head.');
  }

  decays(variable: tfTypes.Variable): boolean {
    return decaysByName(variable);
  }

  /** The unit-length sentence vectors [batch, 512] of ids already clipped to 128 (empty texts given as [0]). */
  sentenceVectors(batch: EncodedBatch, dropout = 0, seed = 0): tfTypes.Tensor2D {
    const { tf } = this;
    const p = (name: string) => this.params.get(name)!;
    const [b, t] = batch.ids.shape;
    let dropSeed = seed;
    const drop = (x: Tensor) => (dropout > 0 ? tf.dropout(x, RESIDUAL_DROPOUT, undefined, dropSeed++) : x);
    const scaled = tf.matMul(tf.reshape(tf.range(0, t, 1, 'float32'), [t, 1]), this.timingScales);
    const timing = tf.concat([tf.sin(scaled), tf.cos(scaled)], 1);
    const embedded = tf.reshape(tf.gather(p('embeddings.word'), tf.reshape(batch.ids, [b * t])), [b, t, -1]);
    // The graph adds the embedding to (embedding + timing signal).
    let x: Tensor = tf.add(tf.mul(embedded, 2), timing);
    const bias = tf.reshape(tf.mul(tf.sub(1, batch.mask), -1e9), [b, 1, 1, t]);
    LAYERS.forEach((spec, i) => {
      const width = spec.heads * spec.headDepth;
      const qkv = this.dense(this.layerNorm(x, `layer${i}.attention_norm`), `layer${i}.qkv`);
      const [q, k, v] = tf.split(qkv, 3, -1);
      const heads = (y: Tensor, perm: number[]) => tf.transpose(tf.reshape(y, [b, t, spec.heads, spec.headDepth]), perm);
      const scores = tf.add(tf.matMul(tf.mul(heads(q, [0, 2, 1, 3]), this.attentionScales[i]), heads(k, [0, 2, 3, 1])), bias);
      const attended = tf.matMul(tf.softmax(scores, -1), heads(v, [0, 2, 1, 3]));
      const combined = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b, t, width]);
      const residual = spec.projectResidual ? this.dense(x, `layer${i}.residual`) : x;
      const afterAttention = tf.add(drop(this.dense(combined, `layer${i}.attention_out`)), residual);
      const hidden = tf.relu(this.dense(this.layerNorm(afterAttention, `layer${i}.ffn_norm`), `layer${i}.up`));
      x = tf.add(drop(this.dense(hidden, `layer${i}.down`)), afterAttention);
    });
    const mask3 = tf.reshape(batch.mask, [b, t, 1]);
    const lengths = tf.maximum(tf.sum(batch.mask, 1, true), 1);
    const pooled = tf.div(tf.sum(tf.mul(x, mask3), 1), lengths);
    const hidden = tf.tanh(this.dense(pooled, 'pooler'));
    const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(hidden), 1, true), 1e-12));
    return tf.div(hidden, norm) as tfTypes.Tensor2D;
  }

  logits(batch: EncodedBatch, dropout = 0, seed = 0): tfTypes.Tensor2D {
    const vectors = this.sentenceVectors(batch, dropout, seed);
    return this.tf.add(this.tf.matMul(vectors, this.params.get('head.w')! as tfTypes.Tensor2D), this.params.get('head.b')!) as tfTypes.Tensor2D;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.timingScales.dispose();
  }

  private dense(x: Tensor, name: string): Tensor {
    const { tf } = this;
    const w = this.params.get(`${name}.w`)!;
    const shape = x.shape;
    const flat = tf.reshape(x, [-1, shape[shape.length - 1]]) as tfTypes.Tensor2D;
    const out = tf.add(tf.matMul(flat, w as tfTypes.Tensor2D), this.params.get(`${name}.b`)!);
    return shape.length === 2 ? out : tf.reshape(out, [...shape.slice(0, -1), w.shape[1] as number]);
  }

  private layerNorm(x: Tensor, name: string): Tensor {
    return layerNorm(this.tf, x, this.params.get(`${name}.g`)!, this.params.get(`${name}.b`)!, LAYER_NORM_EPS);
  }
}
