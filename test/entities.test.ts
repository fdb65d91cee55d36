// Entity-level scoring on hand-made cases, by seqeval's strict IOB2 definitions: an entity is B-X then I-X*, it
// counts only on an exact match of type, start and end; an I-X that continues nothing is no entity.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedTransition, entitiesOf, entityScores, isBioTagSet } from '../shared/entities.js';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

describe('entities (seqeval strict, IOB2)', () => {
  it('reads B-X I-X* as one entity and a dangling I-X as none', () => {
    assert.deepEqual(entitiesOf(['B-PER', 'I-PER', 'O', 'B-LOC']), [{ type: 'PER', start: 0, end: 2 }, { type: 'LOC', start: 3, end: 4 }]);
    assert.deepEqual(entitiesOf(['I-PER', 'I-PER']), []);
    assert.deepEqual(entitiesOf(['B-PER', 'I-LOC', 'I-LOC']), [{ type: 'PER', start: 0, end: 1 }]);
    assert.deepEqual(entitiesOf(['B-PER', 'B-PER']), [{ type: 'PER', start: 0, end: 1 }, { type: 'PER', start: 1, end: 2 }]);
  });

  it('scores a perfect prediction 1', () => {
    const tags = [['B-PER', 'I-PER', 'O', 'B-LOC']];
    const s = entityScores(tags, tags);
    assert.equal(s.micro.f1, 1);
    assert.equal(s.macro.f1, 1);
    assert.equal(s.perType.PER.support, 1);
  });

  it('counts a partial overlap as one false positive and one miss', () => {
    const s = entityScores([['B-PER', 'I-PER', 'O']], [['B-PER', 'O', 'O']]);
    assert.deepEqual([s.micro.precision, s.micro.recall, s.micro.f1], [0, 0, 0]);
    assert.equal(s.perType.PER.predicted, 1);
  });

  it('counts a type mismatch against both types, and the invented type enters the macro mean', () => {
    const s = entityScores([['B-PER', 'O']], [['B-ORG', 'O']]);
    assert.equal(s.micro.f1, 0);
    assert.deepEqual(Object.keys(s.perType), ['ORG', 'PER']);
    assert.equal(s.perType.ORG.support, 0);
    assert.equal(s.perType.ORG.predicted, 1);
  });

  it('does not count an I- run without its B- (strict mode), though conlleval would', () => {
    const s = entityScores([['B-PER', 'I-PER']], [['I-PER', 'I-PER']]);
    assert.equal(s.micro.recall, 0);
    assert.equal(s.perType.PER.predicted, 0);
  });

  it('micro and macro over types on a mixed case', () => {
    const gold = [['B-PER', 'I-PER', 'O', 'B-ORG'], ['B-LOC', 'O']];
    const predicted = [['B-PER', 'I-PER', 'O', 'O'], ['B-LOC', 'B-LOC']];
    const s = entityScores(gold, predicted);
    close(s.micro.precision, 2 / 3);
    close(s.micro.recall, 2 / 3);
    close(s.micro.f1, 2 / 3);
    close(s.perType.LOC.precision, 1 / 2);
    close(s.perType.LOC.f1, 2 / 3);
    close(s.macro.f1, (1 + 2 / 3 + 0) / 3);
    close(s.macro.precision, 0.5);
    close(s.macro.recall, 2 / 3);
    assert.equal(s.goldEntities, 3);
    assert.ok(s.micro.interval[0] <= s.micro.f1 && s.micro.f1 <= s.micro.interval[1]);
  });

  it('knows BIO tag sets and the transitions IOB2 allows', () => {
    assert.equal(isBioTagSet(['O', 'B-PER', 'I-PER']), true);
    assert.equal(isBioTagSet(['NOUN', 'VERB']), false);
    assert.equal(isBioTagSet(['O']), false);
    assert.equal(allowedTransition('', 'I-PER'), false);
    assert.equal(allowedTransition('O', 'I-PER'), false);
    assert.equal(allowedTransition('B-LOC', 'I-PER'), false);
    assert.equal(allowedTransition('B-PER', 'I-PER'), true);
    assert.equal(allowedTransition('I-PER', 'I-PER'), true);
    assert.equal(allowedTransition('I-PER', 'B-LOC'), true);
    assert.equal(allowedTransition('B-PER', 'O'), true);
  });
});
