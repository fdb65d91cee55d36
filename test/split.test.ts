// Splits: stratification, duplicate groups kept whole, rare labels in every split, determinism.
// Also the seeded random helpers and the near-duplicate key the splits group by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stratifiedSplit, type SplitIndices } from '../shared/split.js';
import { createRng, sampleWithReplacement, shuffleInPlace } from '../shared/random.js';
import { nearDuplicateKey } from '../shared/text.js';

const countOf = (indices: number[], labels: number[][], c: number) => indices.filter((i) => labels[i].includes(c)).length;

function assertPartition(split: SplitIndices, n: number) {
  const all = [...split.train, ...split.val, ...split.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i), 'every item lands in exactly one split');
}

test('single-label split keeps each class proportion within one example', () => {
  // 900 / 90 / 10 with val 10%, test 20%: ideal train/val/test = 630/90/180, 63/9/18, 7/1/2.
  const labels = Array.from({ length: 1000 }, (_, i) => [i < 900 ? 0 : i < 990 ? 1 : 2]);
  const split = stratifiedSplit({ labels, valFraction: 0.1, testFraction: 0.2, seed: 3, multiLabel: false });
  assertPartition(split, 1000);
  const ideal = [[630, 90, 180], [63, 9, 18], [7, 1, 2]];
  ideal.forEach(([train, val, test], c) => {
    for (const [got, want, name] of [[countOf(split.train, labels, c), train, 'train'], [countOf(split.val, labels, c), val, 'val'], [countOf(split.test, labels, c), test, 'test']] as const) {
      assert.ok(Math.abs(got - want) <= 1, `class ${c} ${name}: ${got} vs ${want}`);
    }
  });
});

test('a class with 3 examples gets one in each split; with 2 it stays in training', () => {
  const labels = [...Array.from({ length: 50 }, () => [0]), [1], [1], [1], [2], [2]];
  const split = stratifiedSplit({ labels, valFraction: 0.1, testFraction: 0.1, seed: 0, multiLabel: false });
  assert.deepEqual([split.train, split.val, split.test].map((s) => countOf(s, labels, 1)), [1, 1, 1]);
  assert.equal(countOf(split.train, labels, 2), 2);
});

test('near-duplicate groups never straddle splits', () => {
  const rng = createRng(11);
  const labels: number[][] = [];
  const groups: string[] = [];
  for (let g = 0; g < 150; g++) {
    const size = 1 + Math.floor(rng() * 5);
    const label = rng() < 0.8 ? 0 : 1;
    for (let k = 0; k < size; k++) {
      labels.push([label]);
      groups.push(`group-${g}`);
    }
  }
  const split = stratifiedSplit({ labels, groups, valFraction: 0.15, testFraction: 0.15, seed: 5, multiLabel: false });
  assertPartition(split, labels.length);
  const splitOfGroup = new Map<string, string>();
  for (const [name, indices] of Object.entries(split)) {
    for (const i of indices) {
      const seen = splitOfGroup.get(groups[i]);
      assert.ok(seen === undefined || seen === name, `${groups[i]} is in both ${seen} and ${name}`);
      splitOfGroup.set(groups[i], name);
    }
  }
  assert.ok(split.val.length > 0 && split.test.length > 0);
});

test('iterative stratification keeps rare labels in every split and label proportions close', () => {
  // 400 items: label 0 on ~half, label 1 on ~a quarter, label 2 on 4 items only (rare), label 3 on 30.
  const rng = createRng(2);
  const labels = Array.from({ length: 400 }, (_, i) => {
    const l: number[] = [];
    if (rng() < 0.5) l.push(0);
    if (rng() < 0.25) l.push(1);
    if (i % 100 === 7) l.push(2);
    if (i % 13 === 0 && l.length > 0) l.push(3);
    return l.length ? l : [1];
  });
  const split = stratifiedSplit({ labels, valFraction: 0.2, testFraction: 0.2, seed: 9, multiLabel: true });
  assertPartition(split, 400);
  for (const part of [split.train, split.val, split.test]) assert.ok(countOf(part, labels, 2) >= 1, 'rare label 2 in every split');
  for (const c of [0, 1, 3]) {
    const total = countOf(labels.map((_, i) => i), labels, c);
    const testShare = countOf(split.test, labels, c) / total;
    assert.ok(Math.abs(testShare - 0.2) < 0.05, `label ${c}: ${(testShare * 100).toFixed(1)}% in test`);
  }
});

test('splits are deterministic for a seed and change with it', () => {
  const labels = Array.from({ length: 200 }, (_, i) => [i % 3]);
  const make = (seed: number) => stratifiedSplit({ labels, valFraction: 0.1, testFraction: 0.2, seed, multiLabel: false });
  assert.deepEqual(make(42), make(42));
  assert.notDeepEqual(make(42).test, make(43).test);
});

test('a zero validation fraction leaves validation empty; bad input is rejected', () => {
  const labels = Array.from({ length: 30 }, (_, i) => [i % 2]);
  assert.deepEqual(stratifiedSplit({ labels, valFraction: 0, testFraction: 0.2, seed: 1, multiLabel: false }).val, []);
  assert.throws(() => stratifiedSplit({ labels, valFraction: 0.5, testFraction: 0.5, seed: 1, multiLabel: false }), /leave room for training/);
  assert.throws(() => stratifiedSplit({ labels: [[0, 1]], valFraction: 0.1, testFraction: 0.1, seed: 1, multiLabel: false }), /exactly one/);
  assert.throws(() => stratifiedSplit({ labels, groups: ['a'], valFraction: 0.1, testFraction: 0.1, seed: 1, multiLabel: false }), /30 items but 1 group keys/);
});

test('seeded random: reproducible stream, shuffle is a permutation, weighted sampling follows weights', () => {
  const a = createRng(123);
  const b = createRng(123);
  const first = Array.from({ length: 5 }, () => a());
  assert.deepEqual(first, Array.from({ length: 5 }, () => b()));
  assert.ok(first.every((x) => x >= 0 && x < 1));
  assert.deepEqual(shuffleInPlace([1, 2, 3, 4, 5, 6], createRng(1)).sort(), [1, 2, 3, 4, 5, 6]);
  const draws = sampleWithReplacement([1, 0, 3], 8000, createRng(4));
  const freq = [0, 1, 2].map((k) => draws.filter((d) => d === k).length / draws.length);
  assert.equal(freq[1], 0, 'a zero weight is never drawn');
  assert.ok(Math.abs(freq[2] - 0.75) < 0.03, `weight 3 of 4 drawn ${freq[2]}`);
  assert.throws(() => sampleWithReplacement([0, 0], 1, createRng(0)), /every weight is zero/);
});

test('near-duplicate key ignores case, punctuation, symbols, width and spacing', () => {
  assert.equal(nearDuplicateKey('  Hello,   World!! '), 'hello world');
  assert.equal(nearDuplicateKey('ＨＥＬＬＯ world'), nearDuplicateKey('hello — world…'));
  assert.equal(nearDuplicateKey('Price: $5\n\nnow'), 'price 5 now');
  assert.notEqual(nearDuplicateKey('hello world'), nearDuplicateKey('hello there world'));
});
