// Contrastive tuning (SetFit-style): pairs drawn so a rare class gets its share, and a pass over pairs that moves
// the shipped USE-lite's vectors towards the targets (same class together, different classes apart).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initTensorflow, type TfRuntime } from '../electron/backend/tf/backend.js';
import { loadEncoder } from '../electron/backend/encoders/index.js';
import { contrastivePairCount, contrastivePairs, contrastiveTune, sentenceVectorsOf } from '../electron/backend/training/transformer/contrastive.js';
import { UseLiteClassifier } from '../electron/backend/training/transformer/use-lite-trainable.js';

let rt: TfRuntime;
before(async () => {
  rt = await initTensorflow('auto');
});

test('pairs alternate similar and dissimilar, and a 1-in-10 class anchors half of the similar pairs', () => {
  const labels = [...new Array<number[]>(90).fill([0]), ...new Array<number[]>(10).fill([1])];
  const pairs = contrastivePairs(labels, 400, 7);
  assert.equal(pairs.length, 400);
  const similar = pairs.filter((p) => p.similar === 1);
  assert.equal(similar.length, 200);
  for (const p of pairs) {
    assert.notEqual(p.left, p.right);
    assert.equal(labels[p.left][0] === labels[p.right][0], p.similar === 1, JSON.stringify(p));
  }
  const rare = similar.filter((p) => labels[p.left][0] === 1).length;
  assert.ok(rare > 70 && rare < 130, `${rare} of 200 similar pairs are of the rare class`);
  // Multi-label: the same label set is similar; a shared label alone is not.
  const multi = contrastivePairs([[0], [0, 1], [0, 1], [1]], 40, 3);
  for (const p of multi) assert.equal([[0], [0, 1], [0, 1], [1]][p.left].join() === [[0], [0, 1], [0, 1], [1]][p.right].join(), p.similar === 1);
  assert.throws(() => contrastivePairs([[0], [0]], 4, 1), /at least two different classes/);
  assert.equal(contrastivePairCount(8), 320);
  assert.equal(contrastivePairCount(1000), 640);
  assert.equal(contrastivePairCount(1000, 50), 50);
});

test('a pass over pairs pulls same-class vectors together and pushes different classes apart', async () => {
  const texts = [
    'Win a free prize now, click here to claim your cash', 'Cheap pills, limited offer, buy now and save',
    'Exclusive deal: earn money fast from home today', 'You have been selected for a free cruise, reply now',
    'The meeting is moved to Thursday at ten', 'Please review the attached minutes from the board',
    'Can we discuss the budget for next quarter?', 'The patch for the mail filter is merged, thanks',
  ];
  const labels = texts.map((_, i) => [i < 4 ? 1 : 0]);
  const encoder = await loadEncoder('use-lite', { maxTokens: 128, longDocs: 'truncate' });
  const ids = (await encoder.tokenize(texts)).map((s) => s.slice(0, 128));
  await encoder.dispose();
  const model = new UseLiteClassifier(rt.tf, 2);
  const pairs = contrastivePairs(labels, 32, 5);
  const meanLoss = async () => {
    const v = await sentenceVectorsOf(rt.tf, model, ids, 0);
    const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    return pairs.reduce((s, p) => s + (cos(v[p.left], v[p.right]) - p.similar) ** 2, 0) / pairs.length;
  };
  try {
    const before = await meanLoss();
    const settings = { batchSize: 8, seed: 1, warmupRatio: 0, optimizer: { bodyLearningRate: 1e-4 }, freezeEmbeddings: true, dropout: false };
    const progress: number[] = [];
    const tuned = await contrastiveTune(rt.tf, model, ids, 0, pairs, settings, (p) => progress.push(p.step));
    assert.deepEqual(progress, [1, 2, 3, 4]);
    assert.equal(tuned.steps, 4);
    assert.ok(tuned.loss > 0 && tuned.loss < before, `the pass's mean loss ${tuned.loss} is below the untuned ${before}: it learned during the pass`);
    await contrastiveTune(rt.tf, model, ids, 0, pairs, settings);
    const after = await meanLoss();
    assert.ok(after < before * 0.9, `contrastive loss ${before.toFixed(4)} -> ${after.toFixed(4)}`);
  } finally {
    model.dispose();
  }
});
