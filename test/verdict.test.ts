// The plain verdict on hand-made per-class results: the documented thresholds decide each light, the sentence names
// what works, what does not and the next action, and "label N more" follows the class's training count.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PerClassMetrics } from '../shared/domain.js';
import { verdictOf } from '../shared/verdict.js';

const cls = (f1: number, precision: number, recall: number, support: number, low = f1 - 0.05): PerClassMetrics => ({ f1, precision, recall, support, f1Interval: [low, Math.min(1, f1 + 0.05)] });

describe('verdict', () => {
  it('reads the issue\'s example: reliable for spam and ham, not yet for hard_ham, and says how many to label', () => {
    const v = verdictOf(
      { labels: ['ham', 'spam', 'hard_ham'], per_class: { ham: cls(0.97, 0.96, 0.98, 500), spam: cls(0.93, 0.95, 0.91, 120), hard_ham: cls(0.2, 0.5, 0.125, 16) } },
      { ham: 1800, spam: 400, hard_ham: 40 },
    );
    assert.deepEqual(v.classes.map((c) => c.light), ['reliable', 'reliable', 'unreliable']);
    assert.equal(v.sentence, 'Reliable for ham and spam. Not reliable yet for hard_ham: it finds 2 of 16 (recall 13%). Label about 40 more hard_ham documents, then train again.');
  });

  it('calls a good F1 with a wide interval "use with care", and a class with under 10 test documents "too few to tell"', () => {
    const v = verdictOf({ labels: ['a', 'b'], per_class: { a: cls(0.85, 0.9, 0.8, 40, 0.6), b: cls(1, 1, 1, 6) } }, { a: 100, b: 5 });
    assert.deepEqual(v.classes.map((c) => c.light), ['care', 'too_few']);
    assert.match(v.sentence, /^Usable with care for a: check its decisions before relying on them\. Too few test documents to tell for b \(fewer than 10 each\)\./);
    assert.match(v.next, /^Label about 20 more b documents so the test can tell/);
  });

  it('names the next action when every class is reliable', () => {
    const v = verdictOf({ labels: ['x', 'y'], per_class: { x: cls(0.9, 0.9, 0.9, 50), y: cls(0.88, 0.9, 0.86, 50) } });
    assert.equal(v.sentence, 'Reliable for x and y. Ready to use: try it on new documents in Use, or export it.');
  });

  it('says so when a class is never found correctly', () => {
    const v = verdictOf({ labels: ['rare', 'common'], per_class: { rare: cls(0, 0, 0, 12), common: cls(0.99, 0.98, 1, 900) } }, { rare: 3 });
    assert.equal(v.classes[0].detail, 'finds 0 of 12 (recall 0%), and flags none correctly');
    assert.match(v.sentence, /Not reliable yet for rare: it finds 0 of 12 \(recall 0%\)\. Label about 20 more rare documents/);
  });
});
