import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEpochSampler, samplingCounts, samplingGroups } from '../electron/backend/training/sampling.js';

// 900 / 80 / 20 examples of classes 0 / 1 / 2.
const groups = [...Array(900).fill(0), ...Array(80).fill(1), ...Array(20).fill(2)];
const countBy = (indices: number[]) => [0, 1, 2].map((c) => indices.filter((i) => groups[i] === c).length);

test('oversampling repeats every rare example evenly up to the largest class, every epoch', () => {
  const drawn = createEpochSampler('oversample', groups, 7)(1);
  assert.deepEqual(countBy(drawn), [900, 900, 900]);
  // 900 / 80 = 11.25: every class-1 example 11 or 12 times; 900 / 20 = 45 exactly for class 2; the majority once.
  const times = new Map<number, number>();
  for (const i of drawn) times.set(i, (times.get(i) ?? 0) + 1);
  for (const [i, n] of times) {
    if (groups[i] === 0) assert.equal(n, 1);
    if (groups[i] === 1) assert.ok(n === 11 || n === 12, `example ${i}: ${n}`);
    if (groups[i] === 2) assert.equal(n, 45);
  }
});

test('over- and undersampling together bring every class to the geometric mean of the sizes', () => {
  const counts = samplingCounts('oversample+undersample', groups, 5);
  const target = Math.round(Math.cbrt(900 * 80 * 20)); // 113
  const perClass = [0, 1, 2].map((c) => groups.reduce((s, g, i) => s + (g === c ? counts[i] : 0), 0));
  assert.deepEqual(perClass, [target, target, target]);
  assert.ok(groups.some((g, i) => g === 0 && counts[i] === 0), 'the majority is thinned');
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
