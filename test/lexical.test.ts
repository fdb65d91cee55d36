import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnLookup, concatRows, fitLexical, selectRows, transformLexical } from '../electron/backend/training/lexical.js';

// Token-id documents: 7 8 is a frequent bigram, 9 appears once (below min df 2).
const docs = [
  [7, 8, 7, 8, 5],
  [7, 8, 6],
  [5, 6, 9],
  [6, 6, 6, 7],
];

test('vocabulary: unigrams and bigrams by document frequency, min df, top-k, ONNX pool layout', () => {
  const recipe = fitLexical(docs, { maxFeatures: 100, minDocumentFrequency: 2 });
  const unigrams = recipe.poolInt64s.slice(0, recipe.ngramCounts[1]);
  const bigrams = recipe.poolInt64s.slice(recipe.ngramCounts[1]);
  assert.deepEqual(unigrams, [5, 6, 7, 8]);
  assert.deepEqual(bigrams, [7, 8], 'only 7→8 is in two documents');
  assert.deepEqual(recipe.ngramIndexes, [0, 1, 2, 3, 4]);
  // smooth idf: ln((1 + n) / (1 + df)) + 1 with n = 4; df(5) = 2, df(6) = 3, df(7) = 3, df(8) = 2, df(7 8) = 2.
  const idf = (df: number) => Math.log(5 / (1 + df)) + 1;
  assert.deepEqual(recipe.idf, [idf(2), idf(3), idf(3), idf(2), idf(2)]);
  const top2 = fitLexical(docs, { maxFeatures: 2, minDocumentFrequency: 1 });
  assert.deepEqual(top2.poolInt64s, [6, 7], 'the two most frequent n-grams');
});

test('features: ln(1 + count) * idf, L2-normalised, PAD ignored, empty rows stay zero', () => {
  const recipe = fitLexical(docs, { maxFeatures: 100, minDocumentFrequency: 2 });
  const rows = transformLexical(recipe, [[7, 8, 7, 8, 5], [9, 9], [7, -1, 8]]);
  // Row 0: counts 5→1, 7→2, 8→2, (7 8)→2.
  const w = [Math.log(2) * recipe.idf[0], Math.log(3) * recipe.idf[2], Math.log(3) * recipe.idf[3], Math.log(3) * recipe.idf[4]];
  const norm = Math.hypot(...w);
  assert.deepEqual(Array.from(rows.cols.subarray(rows.rowPtr[0], rows.rowPtr[1])), [0, 2, 3, 4]);
  Array.from(rows.values.subarray(rows.rowPtr[0], rows.rowPtr[1])).forEach((v, j) => assert.ok(Math.abs(v - w[j] / norm) < 1e-7));
  assert.equal(rows.rowPtr[2] - rows.rowPtr[1], 0, 'unknown ids give an empty row');
  // Padding breaks the bigram: 7 and 8 count, 7→8 does not.
  assert.deepEqual(Array.from(rows.cols.subarray(rows.rowPtr[2], rows.rowPtr[3])), [2, 3]);
  const picked = selectRows(rows, [2, 0]);
  assert.deepEqual(Array.from(picked.cols), [2, 3, 0, 2, 3, 4]);
  assert.equal(picked.nCols, 5);
});

test('a lookup rebuilt from the saved recipe (JSON round trip) gives identical features', () => {
  const recipe = fitLexical(docs, { maxFeatures: 100, minDocumentFrequency: 1 });
  const reloaded = JSON.parse(JSON.stringify(recipe));
  const a = transformLexical(recipe, docs);
  const b = transformLexical(reloaded, docs, columnLookup(reloaded));
  assert.deepEqual(b, a);
  // Transforming in slices and stacking them gives the same block (the trainer works in slices).
  assert.deepEqual(concatRows([transformLexical(recipe, docs.slice(0, 1)), transformLexical(recipe, docs.slice(1))]), a);
});

test('token ids outside the supported range are refused with the document named', () => {
  assert.throws(() => fitLexical([[1, 2], [3, -4]]), /document 1 has token id -4/);
});
