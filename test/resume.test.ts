// Resuming fine-tuning from the last finished epoch: a run cancelled in its second epoch and resumed from its
// checkpoint ends with exactly the weights of a run that was never interrupted (data order, dropout seeds and
// AdamW state restored); a checkpoint of other data is not used.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initTensorflow, type TfRuntime } from '../electron/backend/tf/backend.js';
import { loadTransformerClassifier, loadTransformerTokenizer, readTransformerFolder, type TransformerFolder, type TransformerTokenizer } from '../electron/backend/training/transformer/hf-folder.js';
import { DEFAULT_FINE_TUNE, fineTune, type FineTuneData, type FineTuneSettings } from '../electron/backend/training/transformer/fine-tune.js';
import { isCancelled } from '../electron/backend/cancel.js';
import { writeTinyBert } from './fixtures/tiny-bert.js';
import { loadSpamAssassin } from './fixtures/corpora.js';

const root = mkdtempSync(path.join(tmpdir(), 'resume-'));
after(() => rmSync(root, { recursive: true, force: true }));
const CE = { kind: 'cross_entropy' as const, gamma: 0 };

let rt: TfRuntime;
let source: TransformerFolder;
let tokenizer: TransformerTokenizer;
let data: FineTuneData;
before(async () => {
  rt = await initTensorflow('auto');
  source = await readTransformerFolder(await writeTinyBert(path.join(root, 'bert')));
  tokenizer = await loadTransformerTokenizer(source, 32);
  const mail = loadSpamAssassin().train.filter((e) => e.label !== 'hard_ham');
  const pick = (label: string, n: number, from: number) => mail.filter((e) => e.label === label).slice(from, from + n);
  const train = [...pick('ham', 12, 0), ...pick('spam', 12, 0)];
  const val = [...pick('ham', 4, 20), ...pick('spam', 4, 20)];
  const encode = (rows: typeof mail) => ({ ids: rows.map((e) => tokenizer.encode(e.text)), targets: rows.map((e) => [e.label === 'spam' ? 1 : 0]) });
  data = { task: 'single_label', classes: 2, train: encode(train), val: encode(val) };
});

const settings = (dir: string, resume: boolean): FineTuneSettings => ({
  ...DEFAULT_FINE_TUNE, depth: { kind: 'full', freezeEmbeddings: false }, epochs: 3, batchSize: 8, patience: 3, seed: 11, dropout: true,
  optimizer: { bodyLearningRate: 1e-3 }, checkpoint: { dir, resume },
});

async function train(dir: string, resume: boolean, stopInEpoch?: number, input = data) {
  const { model } = await loadTransformerClassifier(rt.tf, source, 2, 1);
  const controller = new AbortController();
  try {
    const outcome = await fineTune(rt.tf, model, tokenizer, input, CE, settings(dir, resume), (p) => {
      if (p.epoch === stopInEpoch) controller.abort();
    }, controller.signal);
    return { outcome, weights: [...model.params.values()].map((v) => Float32Array.from(v.dataSync() as Float32Array)) };
  } finally {
    model.dispose();
  }
}

test('a run cancelled in epoch 2 and resumed ends with the uninterrupted run\'s weights, bit for bit', async () => {
  const whole = await train(path.join(root, 'whole'), false);
  assert.equal(whole.outcome.history.length, 3);
  assert.equal(whole.outcome.resumed, undefined);

  const dir = path.join(root, 'interrupted');
  await assert.rejects(train(dir, false, 2), (error) => isCancelled(error));
  const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
  assert.equal(state.epoch, 1, 'the first finished epoch is kept');

  const resumed = await train(dir, true);
  assert.deepEqual(resumed.outcome.resumed, { afterEpoch: 1 });
  assert.deepEqual(resumed.outcome.history.map((h) => [h.epoch, h.loss, h.valMacroF1]), whole.outcome.history.map((h) => [h.epoch, h.loss, h.valMacroF1]));
  assert.equal(resumed.outcome.steps, whole.outcome.steps);
  let max = 0;
  whole.weights.forEach((w, i) => w.forEach((x, j) => (max = Math.max(max, Math.abs(x - resumed.weights[i][j])))));
  assert.equal(max, 0, `largest weight difference ${max}`);
});

test('a checkpoint of other data is not resumed, and says why', async () => {
  const dir = path.join(root, 'interrupted-2');
  await assert.rejects(train(dir, false, 2), (error) => isCancelled(error));
  const flipped = { ...data, train: { ...data.train, targets: data.train.targets.map(([c]) => [1 - c]) } };
  const fresh = await train(dir, true, undefined, flipped);
  assert.ok(fresh.outcome.resumed && 'reason' in fresh.outcome.resumed && /belongs to other data or settings/.test(fresh.outcome.resumed.reason), JSON.stringify(fresh.outcome.resumed));
  assert.equal(fresh.outcome.history.length, 3);
  assert.ok(existsSync(path.join(dir, 'state.json')));
});
