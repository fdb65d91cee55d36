// The strategy agent: measures candidate strategies by repeated stratified k-fold cross-validation on the training
// split's features (never the test split), scores each with and without tuned thresholds, and picks the best — or
// the simplest candidate within noise of it — with the evidence and a plain-words reason.
import type { CandidateScore, DecisionMode, Recommendation, StrategySearchReport } from '../../../../shared/domain.js';
import { throwIfAborted } from '../../cancel.js';
import { candidateName, searchCandidates, type CandidateSpec } from './candidates.js';
import type { SolverOptions } from '../linear-solver.js';
import { outOfFoldLogits, planFolds, type CvData, type FoldPlan, type WarmStarts } from './cross-validation.js';
import { BASELINE, C_GRID, chooseFeaturesAndC } from './regularization.js';
import { decideOutOfFold, outOfFoldLogLoss, pairedDifference, scoreDecisions, type DecisionScore } from './scoring.js';

const BOOTSTRAP_DRAWS = 300;
/** After the first repeat, candidates more than this many paired standard errors behind the leader stop. */
const RACE_MARGIN = 2;

export interface SearchOptions {
  labels: string[];
  folds: number;
  repeats: number;
  seed: number;
  /** Candidates to measure, in the order to try them (default: every candidate, the rule table's choice first). */
  candidates?: CandidateSpec[];
  /** Which decisions to score: both (auto) or one. */
  decision: DecisionMode;
  /** Fixed C (skips its search), e.g. from the settings. */
  c?: number;
  /** The word features may be used (they were computed). */
  wordsAvailable: boolean;
  /** Wall-clock seconds the search may take; candidates that would not fit are left out and named. */
  budgetSeconds: number;
  /** The rule table's suggestion: the search tries it first, and it is what is followed if nothing else fits. */
  prior?: Recommendation | null;
  onProgress?: (done: number, total: number, message: string) => void;
  signal?: AbortSignal;
  /** The objective across solver threads (fit-linear.ts starts them). */
  objective?: SolverOptions['objective'];
}

export interface MeasuredCandidate {
  spec: CandidateSpec;
  decision: 'argmax' | 'tuned';
  score: DecisionScore;
  /** The candidate's out-of-fold logits, per repeat (the final model's calibration and thresholds come from these). */
  logits: Float64Array[];
  /** Repeats measured (1 when the racing dropped it after the first). */
  repeats: number;
}

export interface SearchOutcome {
  report: StrategySearchReport;
  pick: MeasuredCandidate;
  c: number;
  /** The word features are part of the chosen model. */
  words: boolean;
  plans: FoldPlan[][];
}

/** Matches a rule-table strategy to the first candidate of that strategy (the prior goes first). */
function orderByPrior(candidates: CandidateSpec[], prior: Recommendation | null | undefined): CandidateSpec[] {
  if (!prior) return candidates;
  const first = candidates.findIndex((c) => c.strategy === prior.strategy && (prior.weights === undefined || c.weights === undefined || c.weights === prior.weights));
  if (first <= 0) return candidates;
  return [candidates[first], ...candidates.filter((_, i) => i !== first)];
}

const percent = (x: number) => `${(x * 100).toFixed(1)}`;

export async function searchStrategies(data: CvData, options: SearchOptions): Promise<SearchOutcome> {
  const started = Date.now();
  const { folds, repeats, seed, labels } = options;
  const K = data.classes;
  const truth = data.real.map((row) => data.truth[row]);
  const plans = planFolds(data, folds, repeats, seed);
  let warm: WarmStarts = new Map();
  const candidates = options.candidates ?? orderByPrior(searchCandidates(data.synthetic.length > 0), options.prior);
  const decisions: Array<'argmax' | 'tuned'> = options.decision === 'auto' ? ['argmax', 'tuned'] : [options.decision];
  const grid = options.c !== undefined ? [options.c] : C_GRID;
  let totalFits = grid.length * (options.wordsAvailable ? 2 : 1) * folds + candidates.length * folds * repeats;
  let fitsDone = 0;
  let words = options.wordsAvailable;
  let c = grid[0];
  const report = (message: string) => options.onProgress?.(fitsDone, totalFits, message);
  /** Out-of-fold logits of a candidate at a C over some repeats' folds, counting fits for the progress bar. */
  const measure = (spec: CandidateSpec, value: number, withWords: boolean, repeatPlans: FoldPlan[][], message: string) => {
    report(message);
    return outOfFoldLogits(data, repeatPlans, { spec, c: value, seed, words: withWords }, {
      warm,
      signal: options.signal,
      objective: options.objective,
      onFit: () => {
        fitsDone++;
        report(message);
      },
    });
  };
  const scoreAll = (logits: Float64Array[], used: FoldPlan[][]) =>
    decisions.map((d) => scoreDecisions(truth, decideOutOfFold(data.task, logits, used, truth, K, d), K, BOOTSTRAP_DRAWS, seed));

  // 1. Features and C (regularization.ts), on the first repeat's folds. Fits the path does not need are taken off
  //    the progress total once it is known.
  const choice = await chooseFeaturesAndC(
    {
      measure: (withWords, value) =>
        measure(BASELINE, value, withWords, [plans[0]], `choosing the features and how strongly to regularise (${withWords ? 'with' : 'without'} word features, C = ${value})`),
      score: (oof) => ({ score: scoreAll(oof.logits, [plans[0]]).reduce((a, b) => (b.macro.mean > a.macro.mean ? b : a)), logLoss: outOfFoldLogLoss(data.task, oof.logits, truth, K) }),
      snapshot: () => new Map(warm),
      signal: options.signal,
    },
    // The path may take up to half the search's time; the candidates get the rest (the first always runs).
    { grid, wordsAvailable: options.wordsAvailable, budgetSeconds: options.budgetSeconds / 2 },
  );
  words = choice.words;
  c = choice.c;
  warm = choice.warm;
  totalFits -= (grid.length * (options.wordsAvailable ? 2 : 1) - choice.report.tried.length) * folds;

  // 2. Racing within the time budget: every candidate on the first repeat (the first candidate always runs), then
  //    the further repeats only for the contenders — those within RACE_MARGIN paired standard errors of the leader.
  //    A candidate dropped after the first repeat is reported with that repeat's figures.
  const notTried: string[] = [];
  const fitsPerRepeat = folds;
  const outOfBudget = (secondsPerUnit: number) => (Date.now() - started) / 1000 + secondsPerUnit > options.budgetSeconds;
  const first: Array<{ spec: CandidateSpec; logits: Float64Array[]; scores: DecisionScore[] }> = [];
  let secondsPerCandidate = 0;
  for (const spec of candidates) {
    throwIfAborted(options.signal);
    if (first.length > 0 && outOfBudget(secondsPerCandidate)) {
      notTried.push(candidateName(spec));
      totalFits -= fitsPerRepeat * repeats;
      continue;
    }
    const oof = await measure(spec, c, words, [plans[0]], `trying ${candidateName(spec)}`);
    secondsPerCandidate = Math.max(secondsPerCandidate, oof.seconds);
    first.push({ spec, logits: oof.logits, scores: scoreAll(oof.logits, [plans[0]]) });
  }
  const leader = first.flatMap((f) => f.scores).reduce((a, b) => (b.macro.mean > a.macro.mean ? b : a));
  const measured: MeasuredCandidate[] = [];
  for (const entry of first) {
    const contender = entry.scores.some((score) => {
      const behind = pairedDifference(leader, score);
      return behind.difference <= RACE_MARGIN * behind.standardError;
    });
    let logits = entry.logits;
    if (contender && repeats > 1 && !outOfBudget(secondsPerCandidate * (repeats - 1))) {
      const more = await measure(entry.spec, c, words, plans.slice(1), `measuring ${candidateName(entry.spec)} again on other folds`);
      logits = [...entry.logits, ...more.logits];
    } else {
      totalFits -= fitsPerRepeat * (repeats - 1);
    }
    const scores = logits.length === 1 ? entry.scores : scoreAll(logits, plans.slice(0, logits.length));
    decisions.forEach((decision, d) => measured.push({ spec: entry.spec, decision, score: scores[d], logits, repeats: logits.length }));
  }
  fitsDone = totalFits;
  report('comparing the strategies');

  // 3. The pick: the best mean, or the simplest within one paired standard error of it.
  const best = measured.reduce((a, b) => (b.score.macro.mean > a.score.macro.mean ? b : a));
  const complexityOf = (m: MeasuredCandidate) => m.spec.complexity + (m.decision === 'tuned' ? 0.5 : 0);
  const scored = measured.map((m) => ({ m, behind: m === best ? { difference: 0, standardError: 0 } : pairedDifference(best.score, m.score) }));
  const withinNoise = scored.filter(({ behind }) => behind.difference <= behind.standardError);
  const pick = withinNoise.reduce((a, b) => {
    const ca = complexityOf(a.m);
    const cb = complexityOf(b.m);
    return cb < ca || (cb === ca && b.m.score.macro.mean > a.m.score.macro.mean) ? b : a;
  }).m;

  const candidateScores: CandidateScore[] = scored
    .map(({ m, behind }) => ({
      name: candidateName(m.spec, m.decision),
      settings: { strategy: m.spec.strategy, weights: m.spec.weights, gamma: m.spec.gamma, sampling: m.spec.sampling, synthetic: m.spec.synthetic, decision: m.decision },
      f1_macro: m.score.macro,
      per_class: Object.fromEntries(labels.map((label, k) => [label, m.score.perClass[k]])),
      ...(m === best ? {} : { behindBest: behind }),
      complexity: complexityOf(m),
      repeats: m.repeats,
    }))
    .sort((a, b) => b.f1_macro.mean - a.f1_macro.mean);

  const searchReport: StrategySearchReport = {
    task: data.task,
    folds,
    repeats,
    documents: data.real.length,
    regularization: choice.report,
    candidates: candidateScores,
    notTried,
    pick: { name: candidateName(pick.spec, pick.decision), reason: explainPick(pick, best, measured.length, labels, scored.find((s) => s.m === pick)!.behind, folds, repeats) },
    seconds: (Date.now() - started) / 1000,
  };
  return { report: searchReport, pick, c, words, plans };
}

/** One or two plain sentences: what was tried, what won, by how much, and how sure. */
function explainPick(
  pick: MeasuredCandidate,
  best: MeasuredCandidate,
  tried: number,
  labels: string[],
  behind: { difference: number; standardError: number },
  folds: number,
  repeats: number,
): string {
  const how = `${tried} combinations measured by ${folds}-fold cross-validation${repeats > 1 ? ` repeated ${repeats} times` : ''} on the training documents`;
  const score = `macro-F1 ${percent(pick.score.macro.mean)}% (95% interval ${percent(pick.score.macro.low)}–${percent(pick.score.macro.high)}%)`;
  const weakest = labels
    .map((label, k) => ({ label, estimate: pick.score.perClass[k] }))
    .reduce((a, b) => (b.estimate.mean < a.estimate.mean ? b : a));
  const smallNote = weakest.estimate.tooFewToTell
    ? ` ${weakest.label} has too few documents to tell how well it is found.`
    : ` Its weakest class, ${weakest.label}, scores F1 ${percent(weakest.estimate.mean)}%.`;
  if (pick === best) {
    return `${candidateName(pick.spec, pick.decision)} scored best of ${how}: ${score}.${smallNote}`;
  }
  const margin = behind.difference < 0.0005
    ? `it ties with ${candidateName(best.spec, best.decision)}`
    : `${candidateName(best.spec, best.decision)} is ${percent(behind.difference)} points ahead, less than the ${percent(behind.standardError)}-point noise of the comparison`;
  return `${candidateName(pick.spec, pick.decision)} was chosen because it is simpler and as good within noise (${margin}); ${how}: ${score}.${smallNote}`;
}
