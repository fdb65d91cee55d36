// What the fine-tuning loop needs of a model, whichever encoder it wraps (a Hugging Face transformer or the
// shipped USE-lite rebuilt as variables): named variables, the ones a depth trains, and logits for a batch.
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfRuntime } from '../../tf/backend.js';

/**
 * How much of the model learns: the head only, the last k layers and the head, or everything. 'contrastive'
 * trains every body weight on pairs of documents first (contrastive.ts), then fits the head.
 */
export type Depth = { kind: 'head' } | { kind: 'top'; layers: number } | { kind: 'full' | 'contrastive'; freezeEmbeddings: boolean };

export function parseDepth(text: string, freezeEmbeddings = false): Depth {
  if (text === 'head') return { kind: 'head' };
  if (text === 'full' || text === 'contrastive') return { kind: text, freezeEmbeddings };
  const top = /^top-([1-9]\d*)$/.exec(text);
  if (top) return { kind: 'top', layers: Number(top[1]) };
  throw new Error(`depth '${text}': use head, top-1, top-2 (top-k in general), full or contrastive`);
}

export interface EncodedBatch {
  /** int32 [batch, seq]. */
  ids: tfTypes.Tensor2D;
  /** float32 [batch, seq]: 1 on real tokens, 0 on padding. */
  mask: tfTypes.Tensor2D;
  /** int32 [batch, seq], or absent for all zeros. */
  types?: tfTypes.Tensor2D;
}

export interface TrainableClassifier {
  readonly classes: number;
  readonly params: Map<string, tfTypes.Variable>;
  /** The variables that learn at this depth (the rest stay exactly as loaded). */
  trainable(depth: Depth): tfTypes.Variable[];
  /** Head variables take the head's learning rate. */
  isHead(variable: tfTypes.Variable): boolean;
  /** Whether weight decay applies (not to biases and layer-norm gains, as in transformers' Trainer). */
  decays(variable: tfTypes.Variable): boolean;
  /** Classification logits [batch, classes]; dropout > 0 only while training. */
  logits(batch: EncodedBatch, dropout?: number, seed?: number): tfTypes.Tensor2D;
  dispose(): void;
}

/** A variable's name inside its model (tfjs names are global, so each model prefixes its own scope). */
export const ownName = (variable: tfTypes.Variable): string => variable.name.slice(variable.name.indexOf('/') + 1);

/** Weight decay applies to weights, not to biases (.b) and layer-norm gains (.g). */
export const decaysByName = (variable: tfTypes.Variable): boolean => !/\.(b|g)$/.test(ownName(variable));

/** Layer normalisation over the last axis: (x − mean) / √(variance + ε) · gain + bias. */
export function layerNorm(tf: TfRuntime['tf'], x: tfTypes.Tensor, gain: tfTypes.Tensor, bias: tfTypes.Tensor, eps: number): tfTypes.Tensor {
  const centered = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gain), bias);
}
