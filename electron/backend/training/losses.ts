// Training losses, always computed from logits (log-softmax / log-sigmoid), so large logits never give NaN.
// Formulas: ../shared/notes/domain.md. Every loss returns the mean over examples of (exampleWeight * per-example loss);
// for multi-label the per-example loss is the mean over classes.
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfRuntime } from '../tf/backend.js';

type Tf = TfRuntime['tf'];
type Tensor1D = tfTypes.Tensor1D;
type Tensor2D = tfTypes.Tensor2D;
type Scalar = tfTypes.Scalar;

export type LossKind = 'cross_entropy' | 'focal' | 'bce' | 'focal_bce';

export interface LossSpec {
  kind: LossKind;
  /** Focal exponent; 0 turns focal into (binary) cross-entropy exactly. */
  gamma: number;
  /**
   * Per-class weights, length K. Single-label: the weight of an example is that of its true class (class-weighted
   * CE, or focal alpha). Multi-label: the weight multiplies the positive term of each class (negatives weigh 1).
   */
  classWeights?: number[];
}

/** Smallest base of the focal modulating factor: keeps the gradient of (1 - p)^gamma finite when p rounds to 1. */
const FOCAL_BASE_FLOOR = 1e-12;

function modulatingFactor(tf: Tf, logProbTrue: tfTypes.Tensor, gamma: number): tfTypes.Tensor {
  const oneMinusP = tf.maximum(tf.sub(1, tf.exp(logProbTrue)), FOCAL_BASE_FLOOR);
  return tf.pow(oneMinusP, gamma);
}

/** Single-label: per-example loss from logits [N, K] and one-hot targets [N, K]. */
function singleLabelPerExample(tf: Tf, spec: LossSpec, logits: Tensor2D, oneHot: Tensor2D): Tensor1D {
  const logProbTrue = tf.sum(tf.mul(tf.logSoftmax(logits), oneHot), 1) as Tensor1D;
  let perExample: tfTypes.Tensor = tf.neg(logProbTrue);
  if (spec.kind === 'focal' && spec.gamma !== 0) perExample = tf.mul(perExample, modulatingFactor(tf, logProbTrue, spec.gamma));
  if (spec.classWeights) {
    const weightOfTrueClass = tf.sum(tf.mul(oneHot, tf.tensor1d(spec.classWeights)), 1);
    perExample = tf.mul(perExample, weightOfTrueClass);
  }
  return perExample as Tensor1D;
}

/** Multi-label: per-example loss (mean over classes) from logits [N, K] and 0/1 targets [N, K]. */
function multiLabelPerExample(tf: Tf, spec: LossSpec, logits: Tensor2D, targets: Tensor2D): Tensor1D {
  // log sigmoid(x) = -softplus(-x); log(1 - sigmoid(x)) = -softplus(x).
  const logP = tf.neg(tf.softplus(tf.neg(logits)));
  const logNotP = tf.neg(tf.softplus(logits));
  const logProbTrue = tf.add(tf.mul(targets, logP), tf.mul(tf.sub(1, targets), logNotP));
  let perEntry: tfTypes.Tensor = tf.neg(logProbTrue);
  if (spec.kind === 'focal_bce' && spec.gamma !== 0) perEntry = tf.mul(perEntry, modulatingFactor(tf, logProbTrue, spec.gamma));
  if (spec.classWeights) {
    // Weight positives of class c by w_c, negatives by 1.
    const weights = tf.add(tf.mul(targets, tf.sub(tf.tensor1d(spec.classWeights), 1)), 1);
    perEntry = tf.mul(perEntry, weights);
  }
  return tf.mean(perEntry, 1) as Tensor1D;
}

export function perExampleLoss(tf: Tf, spec: LossSpec, logits: Tensor2D, targets: Tensor2D): Tensor1D {
  return spec.kind === 'bce' || spec.kind === 'focal_bce'
    ? multiLabelPerExample(tf, spec, logits, targets)
    : singleLabelPerExample(tf, spec, logits, targets);
}

/** Mean loss over the batch. Call inside tf.tidy or a gradient function. */
export function lossFromLogits(tf: Tf, spec: LossSpec, logits: Tensor2D, targets: Tensor2D): Scalar {
  return tf.mean(perExampleLoss(tf, spec, logits, targets)) as Scalar;
}
