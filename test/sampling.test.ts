import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEpochSampler, samplingGroups } from '../electron/backend/training/sampling.js';

// 900 / 80 / 20 examples of classes 0 / 1 / 2.
const groups = [...Array(900).fill(0), ...Array(80).fill(1), ...Array(20).fill(2)];
const countBy = (indices: number[]) => [0, 1, 2].map((c) => indices.filter((i) => groups[i] === c).length);

test('oversampling draws N examples per epoch with classes balanced in expectation', () => {
  const sampler = createEpochSampler('oversample', groups, 7);
  const totals = [0, 0, 0];
  for (let epoch = 1; epoch <= 20; epoch++) {
    const drawn = sampler(epoch);
    assert.equal(drawn.length, groups.length);
    countBy(drawn).forEach((n, c) => (totals[c] += n));
  }
  // Expected 1000/3 per class per epoch; over 20 epochs each class is within 5% of a third.
  for (const t of totals) assert.ok(Math.abs(t / 20000 - 1 / 3) < 0.02, `share ${t / 20000}`);
  // The minority is repeated (with replacement), the majority is not all seen.
  assert.ok(totals[2] / 20 > 20 * 10);
});

test('undersampling keeps as many of each class as the smallest has, different ones each epoch', () => {
  const sampler = createEpochSampler('undersample', groups, 7);
  const first = sampler(1);
  const second = sampler(2);
  assert.deepEqual(countBy(first), [20, 20, 20]);
  assert.equal(new Set(first).size, 60, 'without replacement');
  const majorityFirst = new Set(first.filter((i) => groups[i] === 0));
  assert.ok(second.some((i) => groups[i] === 0 && !majorityFirst.has(i)), 'another majority subset next epoch');
});

test('no sampling visits every example once per epoch, shuffled, reproducibly for a seed', () => {
  const a = createEpochSampler('none', groups, 3)(1);
  const b = createEpochSampler('none', groups, 3)(1);
  assert.deepEqual(a, b);
  assert.deepEqual([...a].sort((x, y) => x - y), groups.map((_, i) => i));
  assert.notDeepEqual(a, groups.map((_, i) => i));
});

test('multi-label examples are balanced by their rarest label; label-less ones form their own group', () => {
  const counts = [100, 10, 3];
  assert.deepEqual(samplingGroups([[0], [0, 1], [0, 1, 2], [], [2, 0]], counts), [0, 1, 2, 3, 2]);
});
