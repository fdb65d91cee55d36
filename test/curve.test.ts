// The learning curve from progress events, shared by the app service (for a reloaded page) and the page itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainProgress } from '../shared/domain.js';
import { withEpochPoint } from '../shared/curve.js';

const event = (extra: Partial<TrainProgress>): TrainProgress => ({ runId: 1, phase: 'train', done: 1, total: 10, etaSeconds: null, ...extra });

test('finished epochs make points; mid-epoch events do not; a repeated epoch replaces its point', () => {
  let curve = withEpochPoint([], event({ epoch: 1, loss: 0.9, valMacroF1: 0.4 }));
  assert.deepEqual(curve, [{ epoch: 1, loss: 0.9, valMacroF1: 0.4 }]);
  const midEpoch = withEpochPoint(curve, event({ epoch: 2, loss: 0.7, valMacroF1: undefined }));
  assert.equal(midEpoch, curve, 'a step without a validation score leaves the curve as it is');
  curve = withEpochPoint(curve, event({ epoch: 2, loss: 0.6, valMacroF1: 0.5 }));
  curve = withEpochPoint(curve, event({ epoch: 2, loss: 0.55, valMacroF1: 0.52 }));
  assert.deepEqual(curve, [
    { epoch: 1, loss: 0.9, valMacroF1: 0.4 },
    { epoch: 2, loss: 0.55, valMacroF1: 0.52 },
  ]);
  assert.equal(withEpochPoint(curve, event({ phase: 'evaluate' })), curve);
});
