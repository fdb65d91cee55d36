// A small real run of the training engine: real e-mails, the shipped encoder, tfjs, a real cache file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TRAIN_SETTINGS, type TrainProgress } from '../shared/domain.js';
import type { TrainExample, TrainJob } from '../electron/backend/training/job.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import { loadPredictor } from '../electron/backend/training/predictor.js';
import { resolveStrategy } from '../electron/backend/training/strategy.js';
import { brownMultiLabel, loadSpamAssassin, SPAM_LABELS } from './fixtures/corpora.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'finetune-trainer-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const cacheFile = path.join(dir, 'embeddings.sqlite');
const hash = (text: string) => createHash('sha256').update(text).digest('hex');

/** 80 ham, 40 hard ham, 40 spam from the training half, plus 8 synthetic hard-ham variants. */
function spamSubset(): TrainExample[] {
  const { train } = loadSpamAssassin();
  const take = (label: string, n: number) => train.filter((e) => e.label === label).slice(0, n);
  const real = [...take('ham', 80), ...take('hard_ham', 40), ...take('spam', 40)].map((e, i) => ({
    id: i,
    text: e.text,
    contentHash: hash(e.text),
    labels: [e.label],
  }));
  const synthetic = real
    .filter((e) => e.labels[0] === 'hard_ham')
    .slice(0, 8)
    .map((e, j) => {
      const text = `${e.text}\n\nRegards, the team (variant ${j})`;
      return { id: `syn-${j}`, text, contentHash: hash(text), labels: ['hard_ham'], synthetic: true };
    });
  return [...real, ...synthetic];
}

const spamJob = (modelDir: string, strategy: TrainJob['settings']['strategy'] = 'auto'): TrainJob => ({
  task: 'single_label',
  labels: [...SPAM_LABELS],
  examples: spamSubset(),
  settings: { ...DEFAULT_TRAIN_SETTINGS, strategy, testFraction: 0.3 },
  encoder: 'use-lite',
  cacheFile,
  modelDir,
});

test('single-label run on real e-mails: beats chance, complete metrics, synthetic only in training, predictor reproduces probabilities', async () => {
  const events: TrainProgress[] = [];
  const job = spamJob(path.join(dir, 'spam-model'));
  const result = await trainClassifier(job, (p) => events.push(p));
  const m = result.metrics;

  // Chance macro-F1 for 3 classes is about 0.33; real e-mails with headers stripped are far easier than that.
  assert.ok(m.f1_macro > 0.7, `macro-F1 ${m.f1_macro}`);
  assert.equal(m.task, 'single_label');
  assert.deepEqual(m.labels, SPAM_LABELS);
  for (const key of ['accuracy', 'f1_macro', 'f1_micro', 'f1_weighted', 'ece'] as const) assert.ok(Number.isFinite(m[key]), key);
  const supports = SPAM_LABELS.map((label) => m.per_class[label].support);
  assert.equal(supports.reduce((a, b) => a + b, 0), m.n_test);
  for (const label of SPAM_LABELS) {
    const c = m.per_class[label];
    assert.ok(c.f1Interval && c.f1Interval[0] <= c.f1 + 1e-9 && c.f1 <= c.f1Interval[1] + 1e-9, `${label} interval ${c.f1Interval} around ${c.f1}`);
  }
  assert.equal(m.confusion_matrix!.matrix.flat().reduce((a, b) => a + b, 0), m.n_test);
  assert.equal(m.calibration!.length, 15);
  assert.ok(m.strategy.auto && m.strategy.auto.reason.length > 0, 'auto records the recommendation followed');
  assert.ok(m.strategy.temperature! > 0);
  assert.equal(m.strategy.lexical?.enabled, true);
  assert.ok(m.seconds.embed >= 0 && m.seconds.train > 0 && m.seconds.eval >= 0);
  assert.equal(m.n_train + m.n_val + m.n_test, job.examples.length);

  // Splits: disjoint, complete, synthetic examples only in training.
  const { train, val, test: testIds } = result.split;
  assert.equal(new Set([...train, ...val, ...testIds]).size, job.examples.length);
  const synthetic = job.examples.filter((e) => e.synthetic).map((e) => e.id);
  for (const id of synthetic) assert.ok(train.includes(id) && !val.includes(id) && !testIds.includes(id), `${id} in training only`);
  assert.equal(result.split.seed, DEFAULT_TRAIN_SETTINGS.seed);

  // Progress: every phase, epochs with loss and validation macro-F1.
  const phases = new Set(events.map((e) => e.phase));
  for (const phase of ['prepare', 'embed', 'train', 'calibrate', 'evaluate', 'done']) assert.ok(phases.has(phase as TrainProgress['phase']), phase);
  assert.ok(events.some((e) => e.phase === 'train' && e.epoch !== undefined && Number.isFinite(e.loss) && e.valMacroF1 !== undefined));
  assert.equal(result.history.length > 0, true);

  // The saved model reproduces the probabilities computed at the end of training.
  const predictor = await loadPredictor(result.modelDir);
  try {
    const again = await predictor.predict(result.predictions.map((row) => row.text));
    again.forEach((row, i) => {
      assert.deepEqual(row.predicted, result.predictions[i].predicted);
      for (const label of SPAM_LABELS) assert.ok(Math.abs(row.probabilities[label] - result.predictions[i].probabilities[label]) < 1e-9, `row ${i} ${label}`);
    });
  } finally {
    await predictor.dispose();
  }
});

test('cancelling during training rejects promptly with an AbortError and writes no model', async () => {
  const controller = new AbortController();
  const modelDir = path.join(dir, 'cancelled-model');
  let phaseAtAbort = '';
  let eventsAfterAbort = 0;
  await assert.rejects(
    trainClassifier(spamJob(modelDir, 'oversample'), (p) => {
      if (controller.signal.aborted) eventsAfterAbort++;
      if (p.phase === 'train' && !controller.signal.aborted) {
        phaseAtAbort = p.phase;
        controller.abort();
      }
    }, controller.signal),
    (error: Error) => error.name === 'AbortError',
  );
  assert.equal(phaseAtAbort, 'train');
  assert.ok(eventsAfterAbort <= 2, `${eventsAfterAbort} progress events after the abort`);
  assert.equal(existsSync(path.join(modelDir, 'manifest.json')), false);
});

test('multi-label run on Brown passages: sigmoid probabilities, thresholds tuned per label', async () => {
  const brown = brownMultiLabel({ passagesPerFile: 2 });
  // Four genres keep the run small; passages with other genres are dropped.
  const labels = ['adventure', 'government', 'learned', 'news'];
  const keep = brown.train.filter((e) => e.labels.every((l) => labels.includes(l)));
  const examples: TrainExample[] = keep.map((e) => ({ id: e.id, text: e.text, contentHash: hash(e.text), labels: e.labels }));
  const result = await trainClassifier(
    {
      task: 'multi_label',
      labels,
      examples,
      settings: { ...DEFAULT_TRAIN_SETTINGS, strategy: 'none', epochs: 30, testFraction: 0.3 },
      encoder: 'use-lite',
      cacheFile,
      modelDir: path.join(dir, 'brown-model'),
    },
    () => {},
  );
  const m = result.metrics;
  assert.equal(m.task, 'multi_label');
  assert.ok(m.thresholds && labels.every((l) => m.thresholds![l] > 0 && m.thresholds![l] < 1), 'a threshold per label');
  assert.equal(m.confusion_matrix, undefined);
  // Chance level for multi-label: predicting every label for every passage (F1 = 2p / (1 + p) per label, p its
  // share of the test passages). The trained model must beat it by a wide margin.
  const allPositive = labels.reduce((sum, l) => {
    const p = result.predictions.filter((row) => row.trueLabels!.includes(l)).length / result.predictions.length;
    return sum + (2 * p) / (1 + p);
  }, 0) / labels.length;
  assert.ok(m.f1_macro > allPositive + 0.15, `macro-F1 ${m.f1_macro} vs all-positive ${allPositive}`);
  // Sigmoid, not softmax: per-row probabilities need not sum to 1, and paired passages can get two labels.
  const sums = result.predictions.map((row) => labels.reduce((s, l) => s + row.probabilities[l], 0));
  assert.ok(sums.some((s) => Math.abs(s - 1) > 0.05));
  assert.ok(['bce', 'focal_bce'].includes(m.strategy.loss));
});

test('strategies resolve to the documented loss, weights and sampler; auto records the recommendation it followed', () => {
  const base = { task: 'single_label' as const, labels: ['a', 'b', 'c'], labeledCounts: [1300, 100, 100], trainCounts: [900, 70, 70], backend: 'wasm', encoder: 'enc' };
  const plan = (strategy: TrainJob['settings']['strategy'], task: 'single_label' | 'multi_label' = 'single_label') =>
    resolveStrategy({ ...base, task, settings: { ...DEFAULT_TRAIN_SETTINGS, strategy } });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  assert.deepEqual([plan('none').loss.kind, plan('none').sampling, plan('none').loss.classWeights], ['cross_entropy', 'none', undefined]);
  const weighted = plan('weighted');
  assert.equal(weighted.resolved.loss, 'weighted_cross_entropy');
  assert.ok(Math.abs(mean(weighted.loss.classWeights!) - 1) < 1e-12, 'weights normalised to mean 1');
  assert.ok(weighted.loss.classWeights![1] > weighted.loss.classWeights![0], 'the minority weighs more');
  const focal = plan('focal');
  assert.deepEqual([focal.loss.kind, focal.loss.gamma, focal.sampling], ['focal', 2, 'none']);
  assert.deepEqual(focal.loss.classWeights, weighted.loss.classWeights, 'focal alpha = the class weights');
  const focalOver = plan('focal+oversample');
  assert.deepEqual([focalOver.loss.kind, focalOver.loss.classWeights, focalOver.sampling], ['focal', undefined, 'oversample']);
  assert.equal(plan('undersample').sampling, 'undersample');
  // 1300 : 100 = 13 : 1 -> weighted cross-entropy, with the figures and the reason recorded.
  const auto = plan('auto');
  assert.equal(auto.resolved.name, 'weighted');
  assert.ok(auto.resolved.auto!.basis.some((line) => line.includes('13')), auto.resolved.auto!.basis.join('; '));
  assert.equal(plan('focal', 'multi_label').loss.kind, 'focal_bce');
  assert.equal(plan('none', 'multi_label').loss.kind, 'bce');
});

test('a folder that is not a model is refused with the file named', async () => {
  await assert.rejects(loadPredictor(dir), (error: Error) => error.message.includes(path.join(dir, 'manifest.json')));
});
