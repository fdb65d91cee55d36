// Stage 3 for the linear head: choose the strategy (the agent, when 'auto'), the L2 strength and the decision rule
// by repeated stratified k-fold cross-validation on the training split, then refit on all of it and calibrate on
// the out-of-fold logits. The test split is never read here.
import type { EpochPoint } from '../../../shared/api.js';
import type { Recommendation, SelectionReport, StrategySearchReport, TaskKind, TrainSettings } from '../../../shared/domain.js';
import { candidateName, lossFor, specForStrategy, type CandidateSpec } from './agent/candidates.js';
import { archFor, trainingSetOf, type CvData } from './agent/cross-validation.js';
import { sourceGroups, type SourceGroups } from './agent/source-groups.js';
import { tuneDecision } from './agent/scoring.js';
import { searchStrategies } from './agent/search.js';
import { calibrateRow, fitCalibration, IDENTITY_CALIBRATION, modelDecision, type Calibration, type ModelDecision } from './calibrate.js';
import type { Featurized } from './featurize.js';
import type { HeadArchitecture, HeadWeights } from './heads.js';
import { fitLinearHead, linearArchitecture, parameterCount } from './linear-solver.js';
import { SolverThreads } from './solver-threads.js';
import type { LossSpec } from './losses.js';
import type { PreparedData } from './prepare.js';
import type { ProgressReporter } from './progress.js';

/** Below this many real training documents there is nothing to cross-validate: one plain fit, argmax, no calibration. */
const MIN_DOCUMENTS_FOR_CV = 6;
const DEFAULT_C = 1;

export interface FittedModel {
  arch: HeadArchitecture;
  weights: HeadWeights;
  calibration: Calibration;
  /** Single-label: the rule over calibrated probabilities; multi-label: thresholds on them. */
  decision: ModelDecision;
}

/** What a head's fitting stage hands on: the model and how it was chosen. */
export interface HeadOutcome {
  model: FittedModel;
  spec: CandidateSpec;
  loss: LossSpec;
  /** L2 strength of the linear head (scikit-learn's C); null for the MLP (early stopping regularises it). */
  c: number | null;
  selection: SelectionReport;
  /** Calibrated held-out logits (out-of-fold, or validation) with their truth: for cost-based decisions. */
  heldOut: { logits: number[][]; truth: number[][] };
  /** The pick's raw out-of-fold logits of the first repeat, row r for feature row rows[r] (real training documents). */
  outOfFold?: { rows: number[]; logits: Float64Array };
  /** The MLP's training curve (empty for the linear head, which has no epochs). */
  history: EpochPoint[];
  searchSeconds: number;
  trainSeconds: number;
}

export interface FitInput {
  task: TaskKind;
  labels: string[];
  settings: TrainSettings;
  data: PreparedData;
  featurized: Featurized;
  prior: Recommendation | null;
  progress: ProgressReporter;
  signal?: AbortSignal;
}

/** Most documents a source group may hold, as a share of the training documents (keeps folds balanced). */
const MAX_GROUP_SHARE = 1 / 40;
const DEFAULT_FOLDS = 5;

/**
 * The training split as cross-validation data: real documents, synthetic ones with their parents, and groups of
 * likely same-source documents (near-duplicates always together) that folds keep whole.
 */
export function cvDataOf(input: Pick<FitInput, 'task' | 'labels' | 'data' | 'featurized' | 'settings'>): CvData & { sources: SourceGroups } {
  const { data, featurized } = input;
  const exampleOf = (row: number) => data.all[featurized.example[row]];
  const trainRows = featurized.parts.train;
  const rowOfId = new Map(trainRows.map((row) => [exampleOf(row).id, row]));
  const real = trainRows.filter((row) => !exampleOf(row).synthetic);
  // Near-duplicates always stay together; similar documents too when the user asked for it (groupSimilar).
  const sources = sourceGroups(input.settings.groupSimilar ? featurized.features.lexical : undefined, real, real.map((row) => data.keys[featurized.example[row]]), {
    maxGroup: Math.max(4, Math.floor(real.length * MAX_GROUP_SHARE)),
    seed: input.settings.seed,
  });
  const groups = featurized.example.map((i) => `key:${data.keys[i]}`);
  real.forEach((row, i) => (groups[row] = `source:${sources.group[i]}`));
  return {
    task: input.task,
    classes: input.labels.length,
    arch: linearArchitecture(featurized.features, featurized.encoder.dim, input.labels.length),
    features: featurized.features,
    truth: featurized.example.map((i) => data.classesOf[i]),
    real,
    synthetic: trainRows
      .filter((row) => exampleOf(row).synthetic)
      .map((row) => ({ row, parents: (exampleOf(row).parents ?? []).map((id) => rowOfId.get(id)).filter((r): r is number => r !== undefined) })),
    groups,
    sources,
  };
}

function pooled(logitsPerRepeat: Float64Array[], truth: number[][], K: number): { logits: number[][]; truth: number[][]; flat: Float64Array } {
  const rows: number[][] = [];
  const truths: number[][] = [];
  for (const logits of logitsPerRepeat) {
    for (let i = 0; i < truth.length; i++) {
      rows.push(Array.from(logits.subarray(i * K, (i + 1) * K)));
      truths.push(truth[i]);
    }
  }
  const flat = new Float64Array(rows.length * K);
  rows.forEach((row, i) => flat.set(row, i * K));
  return { logits: rows, truth: truths, flat };
}

export async function selectAndFitLinear(input: FitInput): Promise<HeadOutcome> {
  const { task, labels, settings, signal } = input;
  const K = labels.length;
  const cv = cvDataOf(input);
  const seed = settings.seed;
  const explicit: CandidateSpec | null = settings.strategy === 'auto' ? null : specForStrategy(settings.strategy, settings.weights, settings.gamma, cv.synthetic.length > 0);

  const tooFew = tooFewForSearch(cv);
  if (tooFew) {
    const spec = explicit ?? specForStrategy('weighted', 'inverse', settings.gamma, false);
    const started = Date.now();
    const set = trainingSetOf(cv, spec, cv.real, cv.synthetic.map((s) => s.row), seed);
    const loss = lossFor(task, spec, set.classCounts);
    const fit = await fitLinearHead({ task, features: cv.features, classes: K, truth: cv.truth, rows: set.rows, counts: set.counts, loss, c: DEFAULT_C }, cv.arch, { signal });
    const calibration = IDENTITY_CALIBRATION(K);
    return {
      model: { arch: cv.arch, weights: fit.weights, calibration, decision: modelDecision(task, 'argmax', null, calibration) },
      spec,
      loss,
      c: DEFAULT_C,
      selection: { method: 'cross-validation', reason: `${tooFew}, so one fit with C = ${DEFAULT_C} and plain decisions` },
      heldOut: { logits: [], truth: [] },
      history: [],
      searchSeconds: 0,
      trainSeconds: (Date.now() - started) / 1000,
    };
  }

  const { folds, repeats } = foldsFor(settings, cv);
  const threads = await SolverThreads.start(cv.features, cv.truth, featurizedDim(input), parameterCount(cv.arch, task));
  try {
    return await searchAndRefit(input, cv, explicit, folds, repeats, threads);
  } finally {
    threads?.close();
  }
}

const featurizedDim = (input: FitInput) => input.featurized.encoder.dim;

/** Too few documents to cross-validate: why, in plain words (null when there are enough). */
function tooFewForSearch(cv: CvData): string | null {
  return cv.real.length < MIN_DOCUMENTS_FOR_CV ? `only ${cv.real.length} training documents: too few to cross-validate` : null;
}

/** The search on the training split: every candidate (explicit: that one only, for C and the decision rule). */
function runSearch(input: FitInput, cv: CvData, explicit: CandidateSpec | null, folds: number, repeats: number, threads: SolverThreads | null) {
  const { labels, settings, progress, signal } = input;
  return searchStrategies(cv, {
    labels,
    folds,
    repeats,
    seed: settings.seed,
    candidates: explicit ? [explicit] : undefined,
    decision: settings.decision ?? 'auto',
    budgetSeconds: settings.searchSeconds ?? 120,
    prior: input.prior,
    onProgress: (done, total, message) => progress.update('search', done, total, { message }),
    signal,
    objective: threads?.objective,
    wordsAvailable: cv.arch.lexicalDim > 0,
  });
}

/** The strategy search alone (the `strategies` command, the Strategy step's "Find the best strategy"). */
export async function searchOnly(input: FitInput): Promise<StrategySearchReport> {
  const cv = cvDataOf(input);
  const tooFew = tooFewForSearch(cv);
  if (tooFew) throw new Error(`the strategy search needs more labeled documents: ${tooFew}`);
  const threads = await SolverThreads.start(cv.features, cv.truth, featurizedDim(input), parameterCount(cv.arch, input.task));
  try {
    const { folds, repeats } = foldsFor(input.settings, cv);
    return (await runSearch(input, cv, null, folds, repeats, threads)).report;
  } finally {
    threads?.close();
  }
}

function foldsFor(settings: TrainSettings, cv: CvData): { folds: number; repeats: number } {
  return { folds: Math.max(2, Math.min(settings.folds ?? DEFAULT_FOLDS, Math.floor(cv.real.length / 2))), repeats: Math.max(1, settings.repeats ?? 2) };
}

async function searchAndRefit(input: FitInput, cv: CvData & { sources: SourceGroups }, explicit: CandidateSpec | null, folds: number, repeats: number, threads: SolverThreads | null): Promise<HeadOutcome> {
  const { task, labels, settings, progress, signal } = input;
  const K = labels.length;
  const seed = settings.seed;
  const objective = threads?.objective;
  const outcome = await runSearch(input, cv, explicit, folds, repeats, threads);
  const { pick, c } = outcome;
  const arch = archFor(cv, outcome.words);

  progress.update('train', 0, 1, { message: `training the final model on all ${cv.real.length} training documents` });
  const started = Date.now();
  const set = trainingSetOf(cv, pick.spec, cv.real, cv.synthetic.map((s) => s.row), seed);
  const loss = lossFor(task, pick.spec, set.classCounts);
  const fit = await fitLinearHead({ task, features: cv.features, classes: K, truth: cv.truth, rows: set.rows, counts: set.counts, loss, c }, arch, { signal, objective });
  const trainSeconds = (Date.now() - started) / 1000;
  progress.update('train', 1, 1);

  progress.update('calibrate', 0, 1, { message: 'checking how far the stated probabilities can be trusted' });
  const truth = cv.real.map((row) => cv.truth[row]);
  const held = pooled(pick.logits, truth, K);
  const calibration = await fitCalibration(task, held.logits, held.truth, K);
  const raw = pick.decision === 'tuned' ? tuneDecision(task, held.flat, held.truth, held.truth.map((_, i) => i), K) : null;
  progress.update('calibrate', 1, 1);

  const how = explicit
    ? `${candidateName(explicit)} as chosen; C and the decision rule were measured by ${folds}-fold cross-validation${repeats > 1 ? ` repeated ${repeats} times` : ''} on the ${cv.real.length} training documents`
    : outcome.report.pick.reason;
  return {
    model: { arch, weights: fit.weights, calibration, decision: modelDecision(task, pick.decision, raw, calibration) },
    spec: pick.spec,
    loss,
    c,
    selection: {
      method: 'cross-validation',
      reason:
        'Cross-validation on the training split instead of a small validation split: every training document is scored once per repeat, so even a class with a handful of documents is measured; then one refit on all of them. ' +
        (cv.sources.grouped === 0
          ? ''
          : settings.groupSimilar
            ? `${cv.sources.grouped} of the ${cv.real.length} documents were grouped with similar ones (probably the same source: a book, a thread, a sender) so that no fold is tested on a source it trained on. `
            : `${cv.sources.grouped} near-duplicate documents were kept in one fold with their copies. `) +
        how,
      folds,
      repeats,
      sourceGroups: { documents: cv.sources.grouped, largest: cv.sources.largest },
      search: outcome.report,
    },
    heldOut: { logits: held.logits.map((row) => calibrateRow(row, calibration)), truth: held.truth },
    outOfFold: { rows: cv.real, logits: pick.logits[0] },
    history: [],
    searchSeconds: outcome.report.seconds,
    trainSeconds,
  };
}
