// Which features and how strong an L2 penalty: for the embedding with and without the word (TF-IDF) features, the
// balanced baseline is cross-validated along a path of C values on the first repeat's folds. The one-standard-error
// rule takes the strongest penalty within one paired standard error of the best (on a flat curve the choice is
// noise, and a stronger penalty carries over better to documents unlike the training ones); then the feature set
// with the higher cross-validated macro-F1 is kept. (Preferring the embedding alone within noise was tried: on a
// few hundred e-mails it dropped word features worth 1.7 points.)
import type { StrategySearchReport } from '../../../../shared/domain.js';
import { throwIfAborted } from '../../cancel.js';
import type { CandidateSpec } from './candidates.js';
import type { OutOfFold, WarmStarts } from './cross-validation.js';
import { pairedDifference, type DecisionScore } from './scoring.js';

/** C values for the L2 penalty (scikit-learn's meaning), strong to weak: the path walks every other one, then refines. */
export const C_GRID = [0.3, 1, 3, 10, 30, 100];
/** The path stops after this many consecutive points more than one standard error behind the best so far. */
const STOP_AFTER_WORSE = 2;

export const BASELINE: CandidateSpec = { strategy: 'weighted', weights: 'inverse', sampling: 'none', synthetic: false, complexity: 1 };

export interface PathPoint {
  c: number;
  score: DecisionScore;
  logLoss: number;
  warm: WarmStarts;
}

export interface FeatureChoice {
  words: boolean;
  c: number;
  warm: WarmStarts;
  report: StrategySearchReport['regularization'];
}

export interface PathMeasure {
  /** Out-of-fold logits of the baseline at C with or without the words, on the first repeat. */
  measure(words: boolean, c: number): Promise<OutOfFold>;
  score(oof: OutOfFold): { score: DecisionScore; logLoss: number };
  /** The warm starts after the last measurement (to resume from the chosen C). */
  snapshot(): WarmStarts;
  signal?: AbortSignal;
}

/** The strongest penalty within one paired standard error of the best point of a path. */
export function oneStandardError(path: PathPoint[]): PathPoint {
  const byStrength = [...path].sort((a, b) => a.c - b.c);
  const best = byStrength.reduce((a, b) => (b.score.macro.mean > a.score.macro.mean ? b : a));
  return byStrength.find((p) => {
    const behind = pairedDifference(best.score, p.score);
    return behind.difference <= behind.standardError;
  })!;
}

/**
 * Each feature set's C path, coarse to fine within the time allowed: every other grid value from strong to weak
 * penalties (stopping once it turns down), then the grid's neighbours of the best coarse point. Then the features
 * and C are chosen as described above.
 */
export async function chooseFeaturesAndC(run: PathMeasure, options: { grid: number[]; wordsAvailable: boolean; budgetSeconds: number }): Promise<FeatureChoice> {
  const started = Date.now();
  const paths: Record<'words' | 'embedding', PathPoint[]> = { words: [], embedding: [] };
  const grid = [...options.grid].sort((a, b) => a - b);
  let slowest = 0;
  /** Whether one more point fits in the time allowed (the first point of each path always runs). */
  const fits = (path: PathPoint[]) => path.length === 0 || (Date.now() - started) / 1000 + slowest <= options.budgetSeconds;
  const measure = async (path: PathPoint[], words: boolean, c: number): Promise<PathPoint> => {
    throwIfAborted(run.signal);
    const began = Date.now();
    const { score, logLoss } = run.score(await run.measure(words, c));
    slowest = Math.max(slowest, (Date.now() - began) / 1000);
    const point = { c, score, logLoss, warm: run.snapshot() };
    path.push(point);
    return point;
  };
  for (const words of options.wordsAvailable ? [true, false] : [false]) {
    const path = paths[words ? 'words' : 'embedding'];
    let worse = 0;
    for (const c of grid.filter((_, i) => i % 2 === 0)) {
      if (!fits(path)) break;
      const best = path.length ? path.reduce((a, b) => (b.score.macro.mean > a.score.macro.mean ? b : a)) : null;
      const point = await measure(path, words, c);
      if (best) {
        const behind = pairedDifference(best.score, point.score);
        worse = behind.difference > behind.standardError ? worse + 1 : 0;
        if (worse >= STOP_AFTER_WORSE) break;
      }
    }
    const best = path.reduce((a, b) => (b.score.macro.mean > a.score.macro.mean ? b : a));
    const at = grid.indexOf(best.c);
    for (const neighbour of [grid[at - 1], grid[at + 1]]) {
      if (neighbour !== undefined && !path.some((p) => p.c === neighbour) && fits(path)) await measure(path, words, neighbour);
    }
  }
  const withWords = paths.words.length ? oneStandardError(paths.words) : null;
  const alone = oneStandardError(paths.embedding);
  const words = withWords !== null && withWords.score.macro.mean >= alone.score.macro.mean;
  const chosen = words ? withWords! : alone;
  const tried = (list: PathPoint[], withTheWords: boolean) => list.map((p) => ({ c: p.c, words: withTheWords, f1_macro: p.score.macro.mean, logLoss: p.logLoss }));
  return {
    words,
    c: chosen.c,
    warm: chosen.warm,
    report: {
      c: chosen.c,
      words,
      tried: [...tried(paths.words, true), ...tried(paths.embedding, false)],
      embeddingOnly: { c: alone.c, f1_macro: alone.score.macro.mean },
      ...(withWords ? { withWords: { c: withWords.c, f1_macro: withWords.score.macro.mean } } : {}),
    },
  };
}


