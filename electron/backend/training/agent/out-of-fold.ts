// Out-of-fold probabilities of every labeled document: each one predicted by a model that never saw it (5-fold
// cross-validation of the plain linear head on the cached features). Label-error detection reads them.
import type { FitInput } from '../fit-linear.js';
import { cvDataOf } from '../fit-linear.js';
import { softmax } from '../../../../shared/calibration.js';
import { outOfFoldLogits, planFolds } from './cross-validation.js';

export interface OutOfFoldProbabilities {
  /** The example id of each row. */
  ids: Array<number | string>;
  given: number[];
  probabilities: number[][];
}

const PLAIN = { strategy: 'none' as const, sampling: 'none' as const, synthetic: false, complexity: 0 };

export async function outOfFoldProbabilities(input: FitInput, folds = 5, c = 1): Promise<OutOfFoldProbabilities> {
  const cv = cvDataOf(input);
  const K = cv.classes;
  const plans = planFolds(cv, folds, 1, input.settings.seed);
  let done = 0;
  const total = folds;
  const oof = await outOfFoldLogits(cv, plans, { spec: PLAIN, c, seed: input.settings.seed, words: cv.arch.lexicalDim > 0 }, {
    warm: new Map(),
    signal: input.signal,
    onFit: () => input.progress.update('search', ++done, total, { message: 'predicting every labeled document with a model that never saw it' }),
  });
  const logits = oof.logits[0];
  return {
    ids: cv.real.map((row) => input.data.all[input.featurized.example[row]].id),
    given: cv.real.map((row) => cv.truth[row][0]),
    probabilities: cv.real.map((_, i) => softmax(Array.from(logits.subarray(i * K, (i + 1) * K)))),
  };
}
