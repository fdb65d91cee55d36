// The classification head: a "wide and deep" model.
//   logits = deep(embedding) + lexicalFeatures · lexicalW + bias
// deep is linear (embedding · denseW) or an MLP with one ReLU hidden layer and dropout. The lexical part is linear
// over sparse TF-IDF features (lexical.ts). Trained with tfjs and Adam in minibatches; the sparse product and its
// gradient are done in JS (tfjs-wasm has no sparse kernels and a dense batch × 20k-feature matrix costs 10× more),
// and tfjs's Adam applies every gradient. Inference (headLogits) is plain JS so that the evaluation at the end of
// training and loadPredictor produce bit-identical probabilities.
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfRuntime } from '../tf/backend.js';
import type { EpochPoint } from '../../../shared/api.js';
import type { HeadKind } from '../../../shared/domain.js';
import { createRng } from '../../../shared/random.js';
import { yieldToEventLoop } from '../event-loop.js';
import { lossFromLogits, type LossSpec } from './losses.js';
import type { SparseRows } from './lexical.js';
import { throwIfAborted } from '../cancel.js';

type Tf = TfRuntime['tf'];

export interface HeadArchitecture {
  kind: HeadKind;
  /** Width of the dense input (the sentence embedding). */
  denseDim: number;
  /** Number of lexical features; 0 when lexical features are off. */
  lexicalDim: number;
  classes: number;
  /** MLP only. */
  hidden: number;
  /** MLP only: dropout rate on the hidden layer while training. */
  dropout: number;
}

/** Named row-major float32 arrays: dense [D,K] (linear) or hidden [D,H], hiddenBias [H], output [H,K] (MLP); lexical [V,K]; bias [K]. */
export type HeadWeights = Record<string, { shape: number[]; values: Float32Array }>;

/** Examples as a contiguous row-major dense block (n × denseDim) plus optional sparse lexical rows. */
export interface FeatureSet {
  n: number;
  dense: Float32Array;
  lexical?: SparseRows;
}

export interface FitHeadOptions {
  arch: HeadArchitecture;
  loss: LossSpec;
  train: FeatureSet;
  /** n × K targets: one-hot (single-label) or 0/1 (multi-label). */
  targets: Float32Array;
  /** Example indices to visit in epoch e (already shuffled): the sampler decides balance. */
  epochIndices: (epoch: number) => number[];
  /**
   * The early-stopping signal for the given weights (higher is better; a continuous one, such as minus the
   * class-balanced validation log-loss, so a tiny minority still moves it) and the validation macro-F1 for the curve.
   */
  validate: (weights: HeadWeights) => { score: number; macroF1: number };
  maxEpochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  /** L2 penalty on every weight matrix (not biases). */
  weightDecay: number;
  seed: number;
  onStep?: (p: { epoch: number; step: number; stepsInEpoch: number; loss: number }) => void;
  onEpoch?: (r: EpochPoint) => void;
  signal?: AbortSignal;
}

export interface FitHeadResult {
  weights: HeadWeights;
  history: EpochPoint[];
  bestEpoch: number;
}

/** tfjs variable names must be unique in the process; several heads may train one after another. */
let variableCounter = 0;

function glorotUniform(rows: number, cols: number, rng: () => number): Float32Array {
  const limit = Math.sqrt(6 / (rows + cols));
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (rng() * 2 - 1) * limit;
  return out;
}

export function initialWeights(arch: HeadArchitecture, seed: number): HeadWeights {
  const rng = createRng(seed ^ 0x5eed);
  const { denseDim: D, lexicalDim: V, classes: K, hidden: H } = arch;
  const weights: HeadWeights = {};
  if (arch.kind === 'linear') {
    weights.dense = { shape: [D, K], values: new Float32Array(D * K) };
  } else {
    weights.hidden = { shape: [D, H], values: glorotUniform(D, H, rng) };
    weights.hiddenBias = { shape: [H], values: new Float32Array(H) };
    weights.output = { shape: [H, K], values: glorotUniform(H, K, rng) };
  }
  if (V > 0) weights.lexical = { shape: [V, K], values: new Float32Array(V * K) };
  weights.bias = { shape: [K], values: new Float32Array(K) };
  return weights;
}

/** Adds sparseRows[rows] · W (W is V × K row-major) into out (rows.length × K). */
function addSparseProduct(sparse: SparseRows, rows: ArrayLike<number>, w: Float32Array, k: number, out: Float32Array | Float64Array): void {
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let p = sparse.rowPtr[row]; p < sparse.rowPtr[row + 1]; p++) {
      const value = sparse.values[p];
      const base = sparse.cols[p] * k;
      for (let c = 0; c < k; c++) out[r * k + c] += value * w[base + c];
    }
  }
}

/**
 * Inference in plain JS (float64 accumulation): logits for every row of the feature set, n × K.
 * The single implementation used by evaluation and by loadPredictor.
 */
export function headLogits(arch: HeadArchitecture, weights: HeadWeights, features: FeatureSet): Float64Array {
  const { denseDim: D, classes: K, hidden: H } = arch;
  const out = new Float64Array(features.n * K);
  const bias = weights.bias.values;
  const hiddenActivations = new Float64Array(H);
  for (let i = 0; i < features.n; i++) {
    const x = features.dense.subarray(i * D, (i + 1) * D);
    const logits = out.subarray(i * K, (i + 1) * K);
    for (let c = 0; c < K; c++) logits[c] = bias[c];
    if (arch.kind === 'linear') {
      const w = weights.dense.values;
      for (let d = 0; d < D; d++) {
        const xd = x[d];
        if (xd === 0) continue;
        for (let c = 0; c < K; c++) logits[c] += xd * w[d * K + c];
      }
    } else {
      const w1 = weights.hidden.values;
      const b1 = weights.hiddenBias.values;
      const w2 = weights.output.values;
      for (let h = 0; h < H; h++) hiddenActivations[h] = b1[h];
      for (let d = 0; d < D; d++) {
        const xd = x[d];
        if (xd === 0) continue;
        const row = d * H;
        for (let h = 0; h < H; h++) hiddenActivations[h] += xd * w1[row + h];
      }
      for (let h = 0; h < H; h++) {
        const a = hiddenActivations[h];
        if (a <= 0) continue; // ReLU
        for (let c = 0; c < K; c++) logits[c] += a * w2[h * K + c];
      }
    }
  }
  if (features.lexical && weights.lexical) {
    const rows = Array.from({ length: features.n }, (_, i) => i);
    addSparseProduct(features.lexical, rows, weights.lexical.values, K, out);
  }
  return out;
}

// tfjs-wasm runs matMul with a transposed operand 5-10x slower than an explicit transpose followed by a plain
// matMul, and the stock matMul gradient uses the transposed forms; these two products supply their own gradients.

/** x · w where x is data (no gradient wanted for it): d/dw = xᵀ · dy. */
function inputTimesWeights(tf: Tf, x: tfTypes.Tensor2D, w: tfTypes.Tensor2D): tfTypes.Tensor2D {
  const product = tf.customGrad(((weights: tfTypes.Tensor) => ({
    value: tf.matMul(x, weights as tfTypes.Tensor2D),
    gradFunc: (dy: tfTypes.Tensor) => tf.matMul(tf.transpose(x), dy as tfTypes.Tensor2D),
  })) as Parameters<Tf['customGrad']>[0]);
  return product(w) as tfTypes.Tensor2D;
}

/** a · w with gradients for both: d/da = dy · wᵀ, d/dw = aᵀ · dy. */
function activationsTimesWeights(tf: Tf, a: tfTypes.Tensor2D, w: tfTypes.Tensor2D): tfTypes.Tensor2D {
  const product = tf.customGrad(((left: tfTypes.Tensor, right: tfTypes.Tensor, save: (tensors: tfTypes.Tensor[]) => void) => {
    save([left, right]);
    return {
      value: tf.matMul(left as tfTypes.Tensor2D, right as tfTypes.Tensor2D),
      gradFunc: (dy: tfTypes.Tensor, saved: tfTypes.Tensor[]) => [
        tf.matMul(dy as tfTypes.Tensor2D, tf.transpose(saved[1]) as tfTypes.Tensor2D),
        tf.matMul(tf.transpose(saved[0]) as tfTypes.Tensor2D, dy as tfTypes.Tensor2D),
      ],
    };
  }) as Parameters<Tf['customGrad']>[0]);
  return product(a, w) as tfTypes.Tensor2D;
}

function copyWeights(weights: HeadWeights): HeadWeights {
  const copy: HeadWeights = {};
  for (const [name, w] of Object.entries(weights)) copy[name] = { shape: [...w.shape], values: new Float32Array(w.values) };
  return copy;
}

/** Trains the head with tfjs Adam; returns the weights of the epoch with the best validation score. */
export async function fitHead(tf: Tf, o: FitHeadOptions): Promise<FitHeadResult> {
  const { arch } = o;
  const { denseDim: D, lexicalDim: V, classes: K } = arch;
  const start = initialWeights(arch, o.seed);
  const variables: Record<string, tfTypes.Variable> = {};
  for (const [name, w] of Object.entries(start)) variables[name] = tf.variable(tf.tensor(w.values, w.shape), true, `head_${name}_${++variableCounter}`);
  const optimizer = tf.train.adam(o.learningRate);
  const snapshot = (): HeadWeights => {
    const out: HeadWeights = {};
    for (const [name, v] of Object.entries(variables)) out[name] = { shape: v.shape.slice(), values: v.dataSync() as Float32Array };
    return copyWeights(out);
  };
  const history: EpochPoint[] = [];
  let best: HeadWeights = snapshot();
  let bestScore = -Infinity;
  let bestEpoch = 0;
  let epochsWithoutGain = 0;
  let dropoutSeed = o.seed;
  let lastYield = Date.now();
  const matrixNames = Object.keys(variables).filter((name) => variables[name].shape.length === 2);
  try {
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      const order = o.epochIndices(epoch);
      const steps = Math.ceil(order.length / o.batchSize);
      let lossSum = 0;
      for (let step = 0; step < steps; step++) {
        throwIfAborted(o.signal);
        const rows = order.slice(step * o.batchSize, (step + 1) * o.batchSize);
        const b = rows.length;
        const denseBatch = new Float32Array(b * D);
        const targetBatch = new Float32Array(b * K);
        for (let r = 0; r < b; r++) {
          denseBatch.set(o.train.dense.subarray(rows[r] * D, (rows[r] + 1) * D), r * D);
          targetBatch.set(o.targets.subarray(rows[r] * K, (rows[r] + 1) * K), r * K);
        }
        const lexicalLogits = new Float32Array(b * K);
        if (V > 0 && o.train.lexical) addSparseProduct(o.train.lexical, rows, variables.lexical.dataSync() as Float32Array, K, lexicalLogits);
        dropoutSeed++;
        const lossValue = tf.tidy(() => {
          const x = tf.tensor2d(denseBatch, [b, D]);
          const y = tf.tensor2d(targetBatch, [b, K]);
          const lexicalIn = tf.tensor2d(lexicalLogits, [b, K]);
          const deepNames = Object.keys(variables).filter((name) => name !== 'lexical');
          const deepTensors = deepNames.map((name) => variables[name] as tfTypes.Tensor);
          const lossOf = (...params: tfTypes.Tensor[]): tfTypes.Scalar => {
            const p: Record<string, tfTypes.Tensor> = {};
            deepNames.forEach((name, i) => (p[name] = params[i]));
            const lexicalPart = params[deepNames.length];
            let logits: tfTypes.Tensor2D;
            if (arch.kind === 'linear') logits = inputTimesWeights(tf, x, p.dense as tfTypes.Tensor2D);
            else {
              const hiddenLayer = tf.relu(tf.add(inputTimesWeights(tf, x, p.hidden as tfTypes.Tensor2D), p.hiddenBias));
              const dropped = arch.dropout > 0 ? tf.dropout(hiddenLayer, arch.dropout, undefined, dropoutSeed) : hiddenLayer;
              logits = activationsTimesWeights(tf, dropped as tfTypes.Tensor2D, p.output as tfTypes.Tensor2D);
            }
            logits = tf.add(tf.add(logits, lexicalPart), p.bias) as tfTypes.Tensor2D;
            let loss = lossFromLogits(tf, o.loss, logits, y);
            if (o.weightDecay > 0) {
              for (const name of matrixNames) if (name !== 'lexical') loss = tf.add(loss, tf.mul(o.weightDecay, tf.sum(tf.square(p[name])))) as tfTypes.Scalar;
            }
            return loss;
          };
          const { value, grads } = tf.valueAndGrads(lossOf)([...deepTensors, lexicalIn]);
          const named: Record<string, tfTypes.Variable> = {};
          // applyGradients takes variables' gradients keyed by variable name; they are plain tensors at run time.
          deepNames.forEach((name, i) => (named[variables[name].name] = grads[i] as tfTypes.Variable));
          if (V > 0 && o.train.lexical) {
            // d loss / d lexicalW = X_batchᵀ · d loss / d lexicalLogits (sparse, in JS), plus the L2 term.
            const gLogits = grads[deepNames.length].dataSync();
            const gLexical = new Float32Array(V * K);
            const lexical = o.train.lexical;
            for (let r = 0; r < b; r++) {
              for (let p = lexical.rowPtr[rows[r]]; p < lexical.rowPtr[rows[r] + 1]; p++) {
                const value = lexical.values[p];
                const base = lexical.cols[p] * K;
                for (let c = 0; c < K; c++) gLexical[base + c] += value * gLogits[r * K + c];
              }
            }
            let gradient: tfTypes.Tensor = tf.tensor2d(gLexical, [V, K]);
            if (o.weightDecay > 0) gradient = tf.add(gradient, tf.mul(2 * o.weightDecay, variables.lexical));
            named[variables.lexical.name] = gradient as tfTypes.Variable;
          }
          // tfjs's Adam keeps its moments by position in this map: the key order is the same at every step.
          optimizer.applyGradients(named);
          return value.dataSync()[0];
        });
        lossSum += lossValue * b;
        o.onStep?.({ epoch, step: step + 1, stepsInEpoch: steps, loss: lossValue });
        if (Date.now() - lastYield > 20) {
          await yieldToEventLoop();
          lastYield = Date.now();
        }
      }
      throwIfAborted(o.signal);
      const current = snapshot();
      const validation = o.validate(current);
      const record = { epoch, loss: lossSum / Math.max(1, order.length), valMacroF1: validation.macroF1 };
      history.push(record);
      o.onEpoch?.(record);
      if (validation.score > bestScore + 1e-9) {
        bestScore = validation.score;
        best = current;
        bestEpoch = epoch;
        epochsWithoutGain = 0;
      } else if (++epochsWithoutGain >= o.patience) break;
    }
  } finally {
    for (const v of Object.values(variables)) v.dispose();
    optimizer.dispose();
  }
  return { weights: best, history, bestEpoch };
}
