// The token tagger: a multinomial logistic regression over each token's features (features.ts), fitted to
// convergence by the linear solver, then decoded per sentence by Viterbi over the tag scores plus learned tag
// transitions; with BIO tags, transitions IOB2 forbids (O → I-X, B-X → I-Y) are never taken. How strongly to
// regularise, whether to weight rare tags up, and how much the transitions count are chosen by measurement on a
// development split of the training sentences (grouped by document), never on the test set.
import { classWeights } from '../../../../shared/imbalance.js';
import { allowedTransition, entityScores, isBioTagSet } from '../../../../shared/entities.js';
import { macroF1 } from '../../../../shared/metrics.js';
import { createRng, shuffleInPlace } from '../../../../shared/random.js';
import { throwIfAborted } from '../../cancel.js';
import { yieldToEventLoop } from '../../event-loop.js';
import type { FeatureSet } from '../heads.js';
import { fitLinearHead, linearArchitecture, linearLogits, parameterCount, parametersToWeights } from '../linear-solver.js';
import { SolverThreads } from '../solver-threads.js';
import type { TaggerSettingsInfo } from '../../../../shared/tokens.js';
import { featureRows, fitVocabulary, type FeatureVocabulary } from './features.js';

export interface TaggedSentence {
  tokens: string[];
  tags: string[];
  document: number;
  /** An encoder's state of each token (tokens × dim, row-major), when the tagger reads them too (encoder-states.ts). */
  states?: Float32Array;
}

/** How dense token states enter the model: standardised per dimension with the training sentences' mean and spread. */
export interface DenseTokenWeights {
  dim: number;
  mean: number[];
  scale: number[];
  /** dim × K weights, row-major. */
  weights: number[];
}

/** The encoder whose token states a tagger reads: a Hugging Face folder, each word's first subword's last hidden state. */
export interface TaggerEncoder {
  folder: string;
  /** The cache identity of the model and tokenizer bytes (encoders/hf.ts hfEncoderId), so a changed folder is noticed. */
  id: string;
  alignment: 'first-subword';
}

/** C, tag weighting and transition weight: chosen on a development split (shared/tokens.ts). */
export type TaggerSettings = TaggerSettingsInfo;

export interface TaggerModel {
  kind: 'tagger';
  version: 1;
  tags: string[];
  /** BIO tags: decoding never breaks IOB2, and results are entity-level. */
  bio: boolean;
  features: string[];
  /** V × K feature weights, row-major, then the K biases. */
  weights: number[];
  bias: number[];
  /** (K + 1) × K log-probabilities of the next tag, the last row from the sentence start. */
  transitions: number[][];
  settings: TaggerSettings;
  /** The word features are used (false: the encoder's token states alone, which an ONNX export can reproduce). */
  lexical?: boolean;
  dense?: DenseTokenWeights;
  encoder?: TaggerEncoder;
  /** The development-split measurement behind each candidate setting. */
  selection: Array<TaggerSettings & { score: number }>;
  trainedOn: { sentences: number; tokens: number };
}

export interface TaggerProgress {
  phase: string;
  done: number;
  total: number;
  etaSeconds: number | null;
}

export interface TaggerOptions {
  /** Word, affix, shape and neighbour features (default true); the sentences' `states` are read whenever present. */
  lexical?: boolean;
  minCount?: number;
  maxFeatures?: number;
  devFraction?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: TaggerProgress) => void;
}

const C_GRID = [0.3, 1, 3];
const MAX_FEATURES = 150_000;
const MAX_PARAMETERS = 3_000_000;
const TRANSITION_WEIGHTS = [0, 0.5, 1];

/** Per-dimension mean and spread of the token states of these sentences (spread 1 where a dimension is constant). */
function denseNormOf(sentences: TaggedSentence[]): Pick<DenseTokenWeights, 'dim' | 'mean' | 'scale'> | null {
  const withStates = sentences.filter((s) => s.states && s.tokens.length > 0);
  if (withStates.length === 0) return null;
  const dim = withStates[0].states!.length / withStates[0].tokens.length;
  const sum = new Float64Array(dim);
  const squares = new Float64Array(dim);
  let n = 0;
  for (const s of withStates) {
    for (let i = 0; i < s.states!.length; i++) {
      const v = s.states![i];
      sum[i % dim] += v;
      squares[i % dim] += v * v;
    }
    n += s.tokens.length;
  }
  const mean = Array.from(sum, (v) => v / n);
  const scale = Array.from(squares, (v, d) => Math.sqrt(Math.max(v / n - mean[d] * mean[d], 0)) || 1);
  return { dim, mean, scale };
}

/** The standardised states of these sentences, one row per token in order (zeros for a sentence without states). */
function denseRows(sentences: Array<{ tokens: string[]; states?: Float32Array }>, norm: Pick<DenseTokenWeights, 'dim' | 'mean' | 'scale'> | null | undefined): Float32Array {
  if (!norm) return new Float32Array(0);
  const out = new Float32Array(sentences.reduce((n, s) => n + s.tokens.length, 0) * norm.dim);
  let at = 0;
  for (const s of sentences) {
    const states = s.states;
    for (let i = 0; i < s.tokens.length * norm.dim; i++) out[at + i] = states ? (states[i] - norm.mean[i % norm.dim]) / norm.scale[i % norm.dim] : 0;
    at += s.tokens.length * norm.dim;
  }
  return out;
}

/** Train-side structures over a list of sentences: the feature rows and each token's tag index. */
function problemOf(sentences: TaggedSentence[], vocabulary: FeatureVocabulary | null, tagIndex: Map<string, number>, norm: Pick<DenseTokenWeights, 'dim' | 'mean' | 'scale'> | null) {
  const n = sentences.reduce((sum, s) => sum + s.tokens.length, 0);
  const lexical = vocabulary ? featureRows(sentences.map((s) => s.tokens), vocabulary) : undefined;
  const features: FeatureSet = { n, dense: denseRows(sentences, norm), lexical };
  const truth = sentences.flatMap((s) => s.tags.map((t) => [tagIndex.get(t)!]));
  return { features, truth, denseDim: norm?.dim ?? 0 };
}

/** log P(next | previous) with add-half smoothing; row K is the sentence start. */
function transitionTable(sentences: TaggedSentence[], tags: string[], tagIndex: Map<string, number>): number[][] {
  const K = tags.length;
  const counts = Array.from({ length: K + 1 }, () => new Float64Array(K).fill(0.5));
  for (const s of sentences) {
    let previous = K;
    for (const tag of s.tags) {
      const t = tagIndex.get(tag)!;
      counts[previous][t]++;
      previous = t;
    }
  }
  return counts.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return Array.from(row, (v) => Math.log(v / total));
  });
}

/** Best tag sequence of one sentence from per-token log-probabilities (n × K, row-major). */
export function viterbi(logProbabilities: ArrayLike<number>, n: number, tags: string[], transitions: number[][], weight: number, bio: boolean): number[] {
  const K = tags.length;
  const allowed = (from: number, to: number) => !bio || allowedTransition(from === K ? '' : tags[from], tags[to]);
  let score = new Float64Array(K);
  const back: Int32Array[] = [];
  for (let t = 0; t < K; t++) score[t] = allowed(K, t) ? logProbabilities[t] + weight * transitions[K][t] : -Infinity;
  for (let i = 1; i < n; i++) {
    const next = new Float64Array(K).fill(-Infinity);
    const from = new Int32Array(K);
    for (let t = 0; t < K; t++) {
      for (let p = 0; p < K; p++) {
        if (score[p] === -Infinity || !allowed(p, t)) continue;
        const s = score[p] + weight * transitions[p][t];
        if (s > next[t]) {
          next[t] = s;
          from[t] = p;
        }
      }
      next[t] += logProbabilities[i * K + t];
    }
    back.push(from);
    score = next;
  }
  let best = 0;
  for (let t = 1; t < K; t++) if (score[t] > score[best]) best = t;
  const path = [best];
  for (let i = n - 2; i >= 0; i--) path.push((best = back[i][best]));
  return path.reverse();
}

/** Row-wise log-softmax in place. */
function logSoftmaxRows(logits: Float64Array, K: number): Float64Array {
  for (let r = 0; r < logits.length; r += K) {
    let max = -Infinity;
    for (let c = 0; c < K; c++) max = Math.max(max, logits[r + c]);
    let sum = 0;
    for (let c = 0; c < K; c++) sum += Math.exp(logits[r + c] - max);
    const log = max + Math.log(sum);
    for (let c = 0; c < K; c++) logits[r + c] -= log;
  }
  return logits;
}

/** Decoded tags of each sentence from the log-probabilities of all their tokens, in order. */
export function decodeAll(logProbabilities: Float64Array, lengths: number[], tags: string[], transitions: number[][], weight: number, bio: boolean): string[][] {
  const K = tags.length;
  let at = 0;
  return lengths.map((n) => {
    const path = n === 0 ? [] : viterbi(logProbabilities.subarray(at * K, (at + n) * K), n, tags, transitions, weight, bio);
    at += n;
    return path.map((t) => tags[t]);
  });
}

/** The figure settings are chosen by: macro-F1 over entity types (BIO) or over tags, rare ones counting as much. */
export function selectionScore(gold: string[][], predicted: string[][], tags: string[], bio: boolean): number {
  if (bio) return entityScores(gold, predicted, { iterations: 0 }).macro.f1;
  const index = new Map(tags.map((t, i) => [t, i]));
  return macroF1(gold.flat().map((t) => index.get(t)!), predicted.flat().map((t) => index.get(t)!), tags.length);
}

/**
 * About `fraction` of the documents held out whole (sentences of one document never straddle the split), never
 * fewer than one sentence either side: the development split here, the test split of `train --task token`.
 */
export function splitByDocument<S extends { document: number }>(sentences: S[], fraction: number, seed: number): { rest: S[]; held: S[] } {
  const documents = shuffleInPlace([...new Set(sentences.map((s) => s.document))], createRng(seed));
  const heldDocuments = new Set(documents.slice(0, Math.max(1, Math.round(documents.length * fraction))));
  const held = sentences.filter((s) => heldDocuments.has(s.document));
  const rest = sentences.filter((s) => !heldDocuments.has(s.document));
  if (rest.length > 0 && held.length > 0) return { rest, held };
  // One document only: split its sentences instead.
  const order = shuffleInPlace(sentences.map((_, i) => i), createRng(seed));
  const cut = Math.max(1, Math.round(sentences.length * fraction));
  return { rest: order.slice(cut).map((i) => sentences[i]), held: order.slice(0, cut).map((i) => sentences[i]) };
}

export async function trainTagger(sentences: TaggedSentence[], options: TaggerOptions = {}): Promise<TaggerModel> {
  const { minCount = 2, devFraction = 0.2, seed = 0, signal, onProgress, lexical = true } = options;
  if (sentences.length < 2) throw new Error(`A tagger needs at least 2 tagged sentences, and there ${sentences.length === 1 ? 'is 1' : `are ${sentences.length}`}.`);
  const tags = [...new Set(sentences.flatMap((s) => s.tags))].sort((a, b) => (a === 'O' ? -1 : b === 'O' ? 1 : a < b ? -1 : 1));
  if (tags.length < 2) throw new Error(`Every token has the tag "${tags[0]}": a tagger needs at least two tags.`);
  const bio = isBioTagSet(tags);
  // Features × tags parameters, with the solver's history of 2 × 8 such vectors, stay within a few hundred MB.
  const maxFeatures = options.maxFeatures ?? Math.min(MAX_FEATURES, Math.floor(MAX_PARAMETERS / tags.length));
  const tagIndex = new Map(tags.map((t, i) => [t, i]));
  const K = tags.length;
  const started = performance.now();
  const steps = C_GRID.length * 2 + 1;
  let done = 0;
  const report = (phase: string) => {
    const elapsed = (performance.now() - started) / 1000;
    onProgress?.({ phase, done, total: steps, etaSeconds: done > 0 ? (elapsed / done) * (steps - done) : null });
  };

  const { rest: fit, held: dev } = splitByDocument(sentences, devFraction, seed);
  const vocabularyOf = (list: TaggedSentence[]) => (lexical ? fitVocabulary(list.map((s) => s.tokens), minCount, maxFeatures) : null);
  if (!lexical && !sentences.some((s) => s.states)) throw new Error('A tagger without word features needs token states from an encoder.');
  const devVocabulary = vocabularyOf(fit);
  const devNorm = denseNormOf(fit);
  const fitProblem = problemOf(fit, devVocabulary, tagIndex, devNorm);
  const devProblem = problemOf(dev, devVocabulary, tagIndex, devNorm);
  const devLengths = dev.map((s) => s.tokens.length);
  const devGold = dev.map((s) => s.tags);
  const fitTransitions = transitionTable(fit, tags, tagIndex);
  const tagCounts = (list: TaggedSentence[]) => {
    const counts = new Array<number>(K).fill(0);
    for (const s of list) for (const t of s.tags) counts[tagIndex.get(t)!]++;
    return counts;
  };
  const weightsFor = (scheme: TaggerSettings['weights'], list: TaggedSentence[]) => (scheme === 'none' ? undefined : classWeights(tagCounts(list).map((n) => Math.max(n, 1)), scheme));

  // The objective is evaluated across the machine's cores (solver-threads.ts), one thread pool per feature set.
  const withThreads = async <T>(problem: ReturnType<typeof problemOf>, work: (threads: SolverThreads | null) => Promise<T>): Promise<T> => {
    const threads = await SolverThreads.start(problem.features, problem.truth, problem.denseDim, parameterCount(linearArchitecture(problem.features, problem.denseDim, K), 'single_label'));
    try {
      return await work(threads);
    } finally {
      threads?.close();
    }
  };
  const solve = async (problem: ReturnType<typeof problemOf>, threads: SolverThreads | null, c: number, scheme: TaggerSettings['weights'], list: TaggedSentence[], start?: Float64Array) => {
    throwIfAborted(signal);
    const arch = linearArchitecture(problem.features, problem.denseDim, K);
    const n = problem.features.n;
    const fitted = await fitLinearHead(
      { task: 'single_label', features: problem.features, classes: K, truth: problem.truth, rows: Int32Array.from({ length: n }, (_, i) => i), counts: new Float64Array(n).fill(1), loss: { kind: 'cross_entropy', gamma: 0, classWeights: weightsFor(scheme, list) }, c },
      arch,
      { start, signal, maxIterations: 300, objective: threads?.objective },
    );
    return { arch, fitted };
  };

  const selection: TaggerModel['selection'] = [];
  report('choosing settings on a development split');
  await withThreads(fitProblem, async (threads) => {
    for (const scheme of ['none', 'sqrt_inverse'] as const) {
      let warm: Float64Array | undefined;
      for (const c of C_GRID) {
        const { arch, fitted } = await solve(fitProblem, threads, c, scheme, fit, warm);
        warm = fitted.parameters;
        const logProbabilities = logSoftmaxRows(linearLogits(fitted.parameters, arch, 'single_label', devProblem.features, Int32Array.from({ length: devProblem.features.n }, (_, i) => i)), K);
        for (const transitionWeight of TRANSITION_WEIGHTS) {
          const predicted = decodeAll(logProbabilities, devLengths, tags, fitTransitions, transitionWeight, bio);
          selection.push({ c, weights: scheme, transitionWeight, score: selectionScore(devGold, predicted, tags, bio) });
        }
        done++;
        report(`development split: C ${c}, ${scheme === 'none' ? 'no tag weights' : 'rare tags weighted up'}`);
        await yieldToEventLoop();
      }
    }
  });
  // Best score; among equals the stronger regularisation and the plainer setting (the list's order).
  const best = selection.reduce((a, b) => (b.score > a.score + 1e-9 ? b : a));
  const settings: TaggerSettings = { c: best.c, weights: best.weights, transitionWeight: best.transitionWeight };

  report('fitting the chosen settings on all training sentences');
  const vocabulary = vocabularyOf(sentences);
  const norm = denseNormOf(sentences);
  const problem = problemOf(sentences, vocabulary, tagIndex, norm);
  const { arch, fitted } = await withThreads(problem, (threads) => solve(problem, threads, settings.c, settings.weights, sentences));
  const weights = parametersToWeights(fitted.parameters, arch, 'single_label');
  done = steps;
  report('done');
  return {
    kind: 'tagger',
    version: 1,
    tags,
    bio,
    features: vocabulary?.names ?? [],
    weights: Array.from(weights.lexical?.values ?? [], (v) => Number(v.toPrecision(7))),
    lexical,
    ...(norm ? { dense: { ...norm, weights: Array.from(weights.dense?.values ?? [], (v) => Number(v.toPrecision(7))) } } : {}),
    bias: Array.from(weights.bias.values),
    transitions: transitionTable(sentences, tags, tagIndex),
    settings,
    selection: selection.map((s) => ({ ...s, score: Number(s.score.toFixed(4)) })),
    trainedOn: { sentences: sentences.length, tokens: problem.features.n },
  };
}

export interface TaggedPrediction {
  tags: string[];
  /** Probability of each token's decoded tag (its softmax score before decoding). */
  scores: number[];
}

/**
 * Per-token log-probabilities of every tag (tokens × K, row-major, sentences in order), before decoding. A model that
 * reads token states needs each sentence's `states` (encoder-states.ts); without them its dense part counts as zero.
 */
export function tokenLogProbabilities(model: TaggerModel, sentences: Array<{ tokens: string[]; states?: Float32Array }>): Float64Array {
  const K = model.tags.length;
  const vocabulary: FeatureVocabulary = { names: model.features, index: new Map(model.features.map((f, i) => [f, i])) };
  const rows = featureRows(sentences.map((s) => s.tokens), vocabulary);
  const n = rows.rowPtr.length - 1;
  const logits = new Float64Array(n * K);
  const dense = model.dense;
  const states = dense ? denseRows(sentences, dense) : null;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < K; c++) logits[r * K + c] = model.bias[c];
    for (let p = rows.rowPtr[r]; p < rows.rowPtr[r + 1]; p++) {
      const base = rows.cols[p] * K;
      for (let c = 0; c < K; c++) logits[r * K + c] += model.weights[base + c];
    }
    if (dense && states) {
      for (let d = 0; d < dense.dim; d++) {
        const v = states[r * dense.dim + d];
        if (v !== 0) for (let c = 0; c < K; c++) logits[r * K + c] += v * dense.weights[d * K + c];
      }
    }
  }
  return logSoftmaxRows(logits, K);
}

/** Tags for new sentences with a trained model (with each sentence's token states when the model reads them). */
export function tagSentences(model: TaggerModel, sentences: Array<string[] | { tokens: string[]; states?: Float32Array }>): TaggedPrediction[] {
  const K = model.tags.length;
  const list = sentences.map((s) => (Array.isArray(s) ? { tokens: s } : s));
  const logProbabilities = tokenLogProbabilities(model, list);
  const decoded = decodeAll(logProbabilities, list.map((s) => s.tokens.length), model.tags, model.transitions, model.settings.transitionWeight, model.bio);
  const tagIndex = new Map(model.tags.map((t, i) => [t, i]));
  let at = 0;
  return decoded.map((tags) => {
    const scores = tags.map((tag, i) => Number(Math.exp(logProbabilities[(at + i) * K + tagIndex.get(tag)!]).toFixed(6)));
    at += tags.length;
    return { tags, scores };
  });
}
