// Stage 3 for the MLP head (an option; the linear head is the default): tfjs and Adam in minibatches with early
// stopping on the validation split. The stopping signal is the class-balanced validation log-loss, a continuous
// signal that a handful of minority documents still moves (a flat validation F1 kept epoch 1). With strategy
// 'auto' the strategy comes from the agent's search on the training split (linear candidates, the fast proxy).
import { macroF1 } from '../../../shared/metrics.js';
import { classWeights } from '../../../shared/imbalance.js';
import { initTensorflow } from '../tf/backend.js';
import { lossFor, specForStrategy } from './agent/candidates.js';
import { tuneDecision } from './agent/scoring.js';
import { searchStrategies } from './agent/search.js';
import { calibrateRow, fitCalibration, modelDecision } from './calibrate.js';
import { cvDataOf, type FitInput, type HeadOutcome } from './fit-linear.js';
import { subsetFeatures } from './featurize.js';
import { fitHead, headLogits, type HeadArchitecture, type HeadWeights } from './heads.js';
import { createEpochSampler, samplingGroups } from './sampling.js';

export interface MlpTuning {
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  patience: number;
  hidden: number;
  dropout: number;
}

export const DEFAULT_MLP_TUNING: MlpTuning = { batchSize: 64, learningRate: 0.002, weightDecay: 0, patience: 8, hidden: 256, dropout: 0.2 };

// With a few hundred examples and batches of 64, the small learning rate would take hundreds of epochs.
const MIN_STEPS_PER_EPOCH = 32;
const MIN_BATCH = 8;
/** 'auto' decisions tune thresholds on validation only when every class has this many validation documents. */
const MIN_VALIDATION_PER_CLASS = 10;

/** Class-balanced mean log-loss (each class weighs the same in total) of logits against truth. */
function balancedLogLoss(task: FitInput['task'], logits: Float64Array, truth: number[][], K: number): number {
  const counts = new Array<number>(K).fill(0);
  for (const t of truth) for (const c of t) counts[c]++;
  const weights = classWeights(counts, 'inverse');
  let total = 0;
  let weightSum = 0;
  truth.forEach((t, i) => {
    const z = logits.subarray(i * K, (i + 1) * K);
    if (task === 'single_label') {
      const max = Math.max(...z);
      const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
      total += weights[t[0]] * (lse - z[t[0]]);
      weightSum += weights[t[0]];
    } else {
      for (let c = 0; c < K; c++) {
        const s = t.includes(c) ? z[c] : -z[c];
        const w = t.includes(c) ? weights[c] : 1;
        total += w * (s >= 0 ? Math.log1p(Math.exp(-s)) : -s + Math.log1p(Math.exp(s)));
        weightSum += w;
      }
    }
  });
  return weightSum ? total / weightSum : 0;
}

function argmaxDecisions(task: FitInput['task'], logits: Float64Array, K: number, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const z = logits.subarray(i * K, (i + 1) * K);
    if (task === 'single_label') return [z.indexOf(Math.max(...z))];
    return Array.from(z).flatMap((v, c) => (v >= 0 ? [c] : []));
  });
}

export async function fitMlp(input: FitInput, tuning: MlpTuning = DEFAULT_MLP_TUNING): Promise<HeadOutcome> {
  const { task, labels, settings, featurized, progress, signal } = input;
  const K = labels.length;
  const { tf } = await initTensorflow();
  const cv = cvDataOf(input);
  const dim = featurized.encoder.dim;
  const truthOf = (rows: number[]) => rows.map((row) => cv.truth[row]);

  let spec = settings.strategy === 'auto' ? null : specForStrategy(settings.strategy, settings.weights, settings.gamma, cv.synthetic.length > 0);
  let searchSeconds = 0;
  let search;
  let words = cv.arch.lexicalDim > 0;
  if (!spec) {
    const outcome = await searchStrategies(cv, {
      labels,
      folds: Math.max(2, Math.min(settings.folds ?? 5, Math.floor(cv.real.length / 2))),
      repeats: 1,
      seed: settings.seed,
      decision: 'argmax',
      budgetSeconds: settings.searchSeconds ?? 120,
      prior: input.prior,
      onProgress: (done, total, message) => progress.update('search', done, total, { message }),
      signal,
      wordsAvailable: words,
    });
    spec = outcome.pick.spec;
    words = outcome.words;
    search = outcome.report;
    searchSeconds = outcome.report.seconds;
  }

  const trainRows = featurized.parts.train.filter((row) => spec!.synthetic || !input.data.all[featurized.example[row]].synthetic);
  const valRows = featurized.parts.val;
  const trainTruth = truthOf(trainRows);
  const trainCounts = new Array<number>(K).fill(0);
  for (const t of trainTruth) for (const c of t) trainCounts[c]++;
  const loss = lossFor(task, spec, trainCounts);
  const arch: HeadArchitecture = { kind: 'mlp', denseDim: dim, lexicalDim: words ? cv.arch.lexicalDim : 0, classes: K, hidden: tuning.hidden, dropout: tuning.dropout };
  const train = subsetFeatures(featurized.features, trainRows, dim);
  // With no validation documents, early stopping falls back to the training split.
  const stopRows = valRows.length > 0 ? valRows : trainRows;
  const stop = { features: subsetFeatures(featurized.features, stopRows, dim), truth: truthOf(stopRows) };
  const targets = new Float32Array(trainRows.length * K);
  trainTruth.forEach((t, i) => t.forEach((c) => (targets[i * K + c] = 1)));
  const batchSize = Math.max(MIN_BATCH, Math.min(tuning.batchSize, Math.ceil(trainRows.length / MIN_STEPS_PER_EPOCH)));
  const sampler = createEpochSampler(spec.sampling, samplingGroups(trainTruth, trainCounts), settings.seed);
  const stepsPerEpoch = Math.ceil(sampler(0).length / batchSize);
  const started = Date.now();
  let lastEpoch: { epoch: number; valMacroF1: number } | undefined;
  const fitted = await fitHead(tf, {
    arch,
    loss,
    train,
    targets,
    epochIndices: sampler,
    validate: (weights: HeadWeights) => {
      const logits = headLogits(arch, weights, stop.features);
      const decided = argmaxDecisions(task, logits, K, stop.truth.length);
      const f1 = task === 'single_label'
        ? macroF1(stop.truth.map((t) => t[0]), decided.map((d) => d[0]), K)
        : macroF1(stop.truth.map((t) => labels.map((_, c) => (t.includes(c) ? 1 : 0))), decided.map((d) => labels.map((_, c) => (d.includes(c) ? 1 : 0))), K);
      return { score: -balancedLogLoss(task, logits, stop.truth, K), macroF1: f1 };
    },
    maxEpochs: settings.epochs,
    patience: tuning.patience,
    batchSize,
    learningRate: tuning.learningRate,
    weightDecay: tuning.weightDecay,
    seed: settings.seed,
    signal,
    // Mid-epoch events carry the running loss only: a validation score belongs to a finished epoch, and the
    // message says which one, so "epoch 7" beside epoch 6's score cannot be misread.
    onStep: ({ epoch, step, loss: value }) =>
      progress.update('train', (epoch - 1) * stepsPerEpoch + step, settings.epochs * stepsPerEpoch, {
        epoch,
        loss: value,
        valMacroF1: undefined,
        message: lastEpoch ? `round ${lastEpoch.epoch}: validation macro-F1 ${lastEpoch.valMacroF1.toFixed(3)}` : undefined,
      }),
    onEpoch: (record) => {
      lastEpoch = record;
      progress.update('train', record.epoch * stepsPerEpoch, settings.epochs * stepsPerEpoch, { epoch: record.epoch, loss: record.loss, valMacroF1: record.valMacroF1, message: `round ${record.epoch}: validation macro-F1 ${record.valMacroF1.toFixed(3)}` }, true);
    },
  });
  const trainSeconds = (Date.now() - started) / 1000;

  progress.update('calibrate', 0, 1, { message: 'checking how far the stated probabilities can be trusted' });
  const valLogits = headLogits(arch, fitted.weights, stop.features);
  const valRowsLogits = stop.truth.map((_, i) => Array.from(valLogits.subarray(i * K, (i + 1) * K)));
  const calibration = await fitCalibration(task, valRowsLogits, stop.truth, K);
  const perClass = new Array<number>(K).fill(0);
  for (const t of stop.truth) for (const c of t) perClass[c]++;
  const enough = valRows.length > 0 && perClass.every((n) => n >= MIN_VALIDATION_PER_CLASS);
  const tuned = settings.decision === 'tuned' || (settings.decision !== 'argmax' && enough);
  const raw = tuned ? tuneDecision(task, valLogits, stop.truth, stop.truth.map((_, i) => i), K) : null;
  progress.update('calibrate', 1, 1);
  return {
    model: { arch, weights: fitted.weights, calibration, decision: modelDecision(task, tuned ? 'tuned' : 'argmax', raw, calibration) },
    spec,
    loss,
    c: null,
    selection: {
      method: 'validation',
      reason:
        `The MLP head stops early on the validation split's class-balanced log-loss (best round ${fitted.bestEpoch}), and is calibrated there` +
        (tuned ? '; its thresholds were tuned there too.' : enough ? '.' : `; thresholds were not tuned because a class has fewer than ${MIN_VALIDATION_PER_CLASS} validation documents.`),
      search,
    },
    heldOut: { logits: valRowsLogits.map((row) => calibrateRow(row, calibration)), truth: stop.truth },
    history: fitted.history,
    searchSeconds,
    trainSeconds,
  };
}
