// The learning curve built from training progress events: the owner keeps it for a page that reloads during a run,
// and the page draws it live; both must agree on which events make a point.
import type { EpochPoint } from './api.js';
import type { TrainProgress } from './domain.js';

/**
 * The curve with the epoch this event reports as finished; a repeated epoch replaces its earlier point. Events
 * without a validation score (mid-epoch steps, other phases) leave the curve as it is.
 */
export function withEpochPoint(curve: EpochPoint[], progress: TrainProgress): EpochPoint[] {
  const { epoch, loss, valMacroF1 } = progress;
  if (epoch === undefined || loss === undefined || valMacroF1 === undefined) return curve;
  return [...curve.filter((point) => point.epoch !== epoch), { epoch, loss, valMacroF1 }];
}
