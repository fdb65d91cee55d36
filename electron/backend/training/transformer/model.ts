// A trainable transformer encoder with a sequence-classification head, written from TensorFlow.js core ops (tfjs
// layers has no attention), so autodiff reaches every weight. Parameters are tf.Variables named by
// architecture.ts; which of them train is decided by the depth (head, top-k layers, full).
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfRuntime } from '../../tf/backend.js';
import { parameterNames, type Activation, type ParameterName, type TransformerConfig } from './architecture.js';
import { checkpointTensors, resolveParameters } from './checkpoint.js';
import type { TensorMap } from './safetensors.js';
import { decaysByName, layerNorm, ownName, type Depth, type EncodedBatch, type TrainableClassifier } from './trainable.js';

type Tf = TfRuntime['tf'];
type Tensor = tfTypes.Tensor;

export interface LoadedWeights {
  model: TransformerClassifier;
  /** Parameters the checkpoint did not hold and that were initialised at random (a new head, usually). */
  initialised: string[];
}

export class TransformerClassifier implements TrainableClassifier {
  private readonly names: ParameterName[];

  private constructor(
    private readonly tf: Tf,
    readonly config: TransformerConfig,
    readonly classes: number,
    readonly params: Map<string, tfTypes.Variable>,
  ) {
    this.names = parameterNames(config, `${config.family}.`);
  }

  /** Builds the model from a checkpoint's tensors (a bare encoder or a *ForSequenceClassification file). */
  static fromCheckpoint(tf: Tf, config: TransformerConfig, tensors: TensorMap, classes: number, seed: number, source: string): LoadedWeights {
    const { params: resolved, initialised } = resolveParameters(config, tensors, classes, seed, source);
    // tfjs variable names are global to the process: each model gets its own scope.
    const scope = `transformer${++modelCount}`;
    const params = new Map<string, tfTypes.Variable>();
    for (const [name, { shape, values }] of resolved) params.set(name, tf.variable(tf.tensor(values, shape), true, `${scope}/${name}`));
    return { model: new TransformerClassifier(tf, config, classes, params), initialised };
  }

  /** The checkpoint tensors of a *ForSequenceClassification model ([out, in] linear weights, family prefix). */
  toCheckpoint(): TensorMap {
    return checkpointTensors(this.names, (name) => {
      const variable = this.params.get(name)!;
      return { shape: [...variable.shape], values: variable.dataSync() as Float32Array };
    });
  }

  /** The variables that learn at this depth (the rest stay exactly as loaded). */
  trainable(depth: Depth): tfTypes.Variable[] {
    const learns = (p: ParameterName): boolean => {
      if (p.part === 'head') return true;
      if (depth.kind === 'head') return false;
      if (depth.kind === 'top') return typeof p.part === 'number' && p.part >= this.config.layers - depth.layers;
      return p.part !== 'embeddings' || !depth.freezeEmbeddings;
    };
    return this.names.filter(learns).map((p) => this.params.get(p.name)!);
  }

  /** Names of the head's parameters (they take the head's learning rate). */
  isHead(variable: tfTypes.Variable): boolean {
    return ownName(variable).startsWith('head.');
  }

  /** Whether weight decay applies (not to biases and layer-norm gains, as in transformers' Trainer). */
  decays(variable: tfTypes.Variable): boolean {
    return decaysByName(variable);
  }

  /** Last hidden states [batch, seq, hidden]. `dropout` > 0 only while training. */
  hiddenStates(batch: EncodedBatch, dropout = 0, seed = 0): tfTypes.Tensor3D {
    const { tf, config: c } = this;
    const p = (name: string) => this.params.get(name)!;
    const [b, t] = batch.ids.shape;
    let dropSeed = seed;
    const drop = (x: Tensor, rate: number) => (dropout > 0 && rate > 0 ? tf.dropout(x, rate, undefined, dropSeed++) : x);
    const flatIds = tf.reshape(batch.ids, [b * t]);
    let x: Tensor = tf.gather(p('embeddings.word'), flatIds);
    const positions = c.positionsFromPadding
      // RoBERTa: cumulative count of real tokens, offset by the padding id; padding itself gets position padId.
      ? tf.cast(tf.add(tf.mul(tf.cumsum(batch.mask, 1), batch.mask), c.padId), 'int32')
      : tf.tile(tf.expandDims(tf.range(0, t, 1, 'int32'), 0), [b, 1]);
    x = tf.add(x, tf.gather(p('embeddings.position'), tf.reshape(positions, [b * t])));
    if (c.typeVocab > 0) {
      x = tf.add(x, batch.types ? tf.gather(p('embeddings.type'), tf.reshape(batch.types, [b * t])) : tf.slice(p('embeddings.type'), [0, 0], [1, c.embeddingSize]));
    }
    x = this.layerNorm(x, 'embeddings.norm');
    if (this.params.has('embeddings.project.w')) x = this.dense(x, 'embeddings.project');
    x = drop(x, c.hiddenDropout);
    // Additive mask: 0 where attended, -10000 on padding (its softmax weight underflows to exactly 0).
    const maskBias = tf.reshape(tf.mul(tf.sub(1, batch.mask), -10000), [b, 1, 1, t]);
    const headDim = c.hidden / c.heads;
    const scale = 1 / Math.sqrt(headDim);
    for (let l = 0; l < c.layers; l++) {
      const split = (y: Tensor, perm: number[]) => tf.transpose(tf.reshape(y, [b, t, c.heads, headDim]), perm);
      const q = split(this.dense(x, `layer${l}.query`), [0, 2, 1, 3]);
      const kT = split(this.dense(x, `layer${l}.key`), [0, 2, 3, 1]);
      const v = split(this.dense(x, `layer${l}.value`), [0, 2, 1, 3]);
      const scores = tf.add(tf.mul(tf.matMul(q, kT), scale), maskBias);
      const probs = drop(tf.softmax(scores, -1), c.attentionDropout);
      const context = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [b * t, c.hidden]);
      const attended = this.layerNorm(tf.add(drop(this.dense(context, `layer${l}.attention_out`), c.hiddenDropout), x), `layer${l}.attention_norm`);
      const up = activate(tf, this.dense(attended, `layer${l}.up`), c.activation);
      x = this.layerNorm(tf.add(drop(this.dense(up, `layer${l}.down`), c.hiddenDropout), attended), `layer${l}.output_norm`);
    }
    return tf.reshape(x, [b, t, c.hidden]);
  }

  /** Classification logits [batch, classes] from the first token's state. */
  logits(batch: EncodedBatch, dropout = 0, seed = 0): tfTypes.Tensor2D {
    const { tf, config: c } = this;
    const states = this.hiddenStates(batch, dropout, seed);
    const [b] = batch.ids.shape;
    const first = tf.reshape(tf.slice(states, [0, 0, 0], [b, 1, c.hidden]), [b, c.hidden]);
    const drop = (x: Tensor) => (dropout > 0 ? tf.dropout(x, c.hiddenDropout, undefined, seed + 7919) : x);
    const pooled = activate(tf, this.dense(drop(first), 'head.dense'), c.headActivation);
    return this.dense(drop(pooled), 'head.out') as tfTypes.Tensor2D;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }

  private dense(x: Tensor, name: string): Tensor {
    const w = this.params.get(`${name}.w`)!;
    const flat = x.rank === 2 ? x : this.tf.reshape(x, [-1, x.shape[x.rank - 1]]);
    return this.tf.add(this.tf.matMul(flat as tfTypes.Tensor2D, w as tfTypes.Tensor2D), this.params.get(`${name}.b`)!);
  }

  private layerNorm(x: Tensor, name: string): Tensor {
    return layerNorm(this.tf, x, this.params.get(`${name}.g`)!, this.params.get(`${name}.b`)!, this.config.layerNormEps);
  }
}

let modelCount = 0;

function activate(tf: Tf, x: Tensor, kind: Activation): Tensor {
  switch (kind) {
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    case 'gelu_tanh': {
      const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
    }
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
  }
}
