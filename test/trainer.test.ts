// Real runs of the training engine: real e-mails and Brown passages, the shipped encoder, a real cache file, the
// strategy search, the linear head's solver and the MLP head in tfjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TRAIN_SETTINGS, type TrainProgress, type TrainSettings } from '../shared/domain.js';
import type { TrainExample, TrainJob } from '../electron/backend/training/job.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import { loadPredictor } from '../electron/backend/training/predictor.js';
import { candidateName, lossFor, searchCandidates, specForStrategy } from '../electron/backend/training/agent/candidates.js';
import { brownMultiLabel, loadSpamAssassin, SPAM_LABELS } from './fixtures/corpora.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'finetune-trainer-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const cacheFile = path.join(dir, 'embeddings.sqlite');
const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const example = (id: number | string, text: string, label: string): TrainExample => ({ id, text, contentHash: hash(text), labels: [label] });

/** 80 ham, 40 hard ham, 40 spam from the training half, plus 8 synthetic hard-ham variants. */
function spamSubset(): TrainExample[] {
  const { train } = loadSpamAssassin();
  const take = (label: string, n: number) => train.filter((e) => e.label === label).slice(0, n);
  const real = [...take('ham', 80), ...take('hard_ham', 40), ...take('spam', 40)].map((e, i) => example(i, e.text, e.label));
  const synthetic = real
    .filter((e) => e.labels[0] === 'hard_ham')
    .slice(0, 8)
    .map((e, j) => {
      const text = `${e.text}\n\nRegards, the team (variant ${j})`;
      return { ...example(`syn-${j}`, text, 'hard_ham'), synthetic: true, parents: [e.id] };
    });
  return [...real, ...synthetic];
}

const spamJob = (modelDir: string, settings: Partial<TrainSettings> = {}): TrainJob => ({
  task: 'single_label',
  labels: [...SPAM_LABELS],
  examples: spamSubset(),
  settings: { ...DEFAULT_TRAIN_SETTINGS, testFraction: 0.3, repeats: 1, ...settings },
  encoder: 'use-lite',
  cacheFile,
  modelDir,
});

test('single-label run on real e-mails: the search, complete metrics, synthetic only in training, the predictor reproduces probabilities', async () => {
  const events: TrainProgress[] = [];
  const job = spamJob(path.join(dir, 'spam-model'));
  const result = await trainClassifier(job, (p) => events.push(p));
  const m = result.metrics;

  // Chance macro-F1 for 3 classes is about 0.33; real e-mails with headers stripped are far easier than that.
  assert.ok(m.f1_macro > 0.7, `macro-F1 ${m.f1_macro}`);
  assert.deepEqual(m.labels, SPAM_LABELS);
  for (const key of ['accuracy', 'f1_macro', 'f1_micro', 'f1_weighted', 'ece'] as const) assert.ok(Number.isFinite(m[key]), key);
  assert.ok(m.f1_macro_interval && m.f1_macro_interval[0] <= m.f1_macro + 1e-9 && m.f1_macro <= m.f1_macro_interval[1] + 1e-9, `macro interval ${m.f1_macro_interval}`);
  assert.equal(SPAM_LABELS.reduce((s, label) => s + m.per_class[label].support, 0), m.n_test);
  for (const label of SPAM_LABELS) {
    const c = m.per_class[label];
    assert.ok(c.f1Interval && c.f1Interval[0] <= c.f1 + 1e-9 && c.f1 <= c.f1Interval[1] + 1e-9, `${label} interval ${c.f1Interval} around ${c.f1}`);
  }
  assert.equal(m.confusion_matrix!.matrix.flat().reduce((a, b) => a + b, 0), m.n_test);
  assert.equal(m.calibration!.length, 15);

  // The search's evidence: every candidate with and without thresholds (or named as not tried), the pick and why.
  const selection = m.selection!;
  assert.equal(selection.method, 'cross-validation');
  assert.equal(m.n_val, 0, 'the linear head holds out no validation split: it cross-validates on all of training');
  const search = selection.search!;
  assert.equal(search.candidates.length + 2 * search.notTried.length, 2 * searchCandidates(true).length);
  assert.ok(search.candidates.some((c) => c.name.endsWith('+ tuned thresholds')) && search.candidates.some((c) => !c.name.endsWith('+ tuned thresholds')));
  for (const candidate of search.candidates) {
    assert.ok(candidate.f1_macro.low <= candidate.f1_macro.mean + 1e-9 && candidate.f1_macro.mean <= candidate.f1_macro.high + 1e-9, candidate.name);
    assert.deepEqual(Object.keys(candidate.per_class), SPAM_LABELS);
  }
  assert.ok(search.candidates.some((c) => c.name === search.pick.name), 'the pick is one of the candidates');
  assert.ok(search.pick.reason.length > 40, search.pick.reason);
  assert.ok(search.regularization.c > 0);
  assert.ok(m.strategy.auto && m.strategy.auto.reason.length > 0, 'the rule table prior is recorded');
  assert.ok(m.strategy.temperature! > 0 && m.strategy.decision && m.strategy.regularization! > 0);
  assert.ok(m.seconds.embed >= 0 && m.seconds.train > 0 && m.seconds.search! > 0);
  assert.equal(m.n_train + m.n_test, job.examples.length - (m.synthetic?.droppedForLeakage ?? 0));

  // Splits: disjoint, complete, synthetic examples only in training.
  const { train, val, test: testIds } = result.split;
  for (const id of job.examples.filter((e) => e.synthetic).map((e) => e.id)) assert.ok(!val.includes(id) && !testIds.includes(id), `${id} never evaluates`);
  assert.equal(new Set([...train, ...val, ...testIds]).size, train.length + val.length + testIds.length);

  // Progress: every phase, in plain words.
  const phases = new Set(events.map((e) => e.phase));
  for (const phase of ['prepare', 'load', 'embed', 'words', 'search', 'train', 'calibrate', 'evaluate', 'done']) assert.ok(phases.has(phase as TrainProgress['phase']), phase);
  // Within a stretch of one phase the share done never goes back (a bar jumping from 96% to 16% is a defect).
  const share = (e: TrainProgress) => (e.total > 0 ? e.done / e.total : 0);
  for (let i = 1; i < events.length; i++) {
    if (events[i].phase === events[i - 1].phase) assert.ok(share(events[i]) >= share(events[i - 1]), `${events[i].phase}: ${share(events[i - 1])} then ${share(events[i])}`);
  }
  assert.ok(events.every((e) => !/tokeniz|lexical|use-lite/i.test(e.message ?? '')), 'no engineer words in progress messages');
  assert.deepEqual(result.history, [], 'the linear head has no epochs');

  // The saved model reproduces the probabilities and decisions computed at the end of training.
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

test('a minority with a handful of documents is still found (the old early stopping kept an untrained model)', async () => {
  const { train } = loadSpamAssassin();
  const examples = [...train.filter((e) => e.label === 'ham').slice(0, 300), ...train.filter((e) => e.label === 'spam').slice(0, 12)].map((e, i) => example(i, e.text, e.label === 'ham' ? 'ham' : 'spam'));
  const result = await trainClassifier(
    { task: 'single_label', labels: ['ham', 'spam'], examples, settings: { ...DEFAULT_TRAIN_SETTINGS, testFraction: 0.3, repeats: 1, seed: 5 }, encoder: 'use-lite', cacheFile, modelDir: path.join(dir, 'tiny-minority') },
    () => {},
  );
  const spam = result.metrics.per_class.spam;
  assert.ok(spam.support >= 2 && spam.support <= 5, `spam test documents ${spam.support}`);
  assert.ok(spam.f1 > 0, `spam F1 ${spam.f1}`);
  assert.equal(spam.tooFewToTell, true, 'an interval on under 5 positives is too few to tell');
});

test('the search never reads the test split: permuting the test labels changes nothing that was chosen', async () => {
  const { train, test: heldOut } = loadSpamAssassin();
  const pick = (rows: typeof train, n: number) => SPAM_LABELS.flatMap((label) => rows.filter((e) => e.label === label).slice(0, n));
  const examples = pick(train, 25).map((e, i) => example(i, e.text, e.label));
  const testRows = pick(heldOut, 10);
  const run = async (labelOf: (i: number) => string, name: string) =>
    trainClassifier(
      {
        task: 'single_label',
        labels: [...SPAM_LABELS],
        examples,
        test: testRows.map((e, i) => example(`t${i}`, e.text, labelOf(i))),
        settings: { ...DEFAULT_TRAIN_SETTINGS, repeats: 1 },
        encoder: 'use-lite',
        cacheFile,
        modelDir: path.join(dir, name),
      },
      () => {},
    );
  const honest = await run((i) => testRows[i].label, 'honest');
  const permuted = await run((i) => SPAM_LABELS[(SPAM_LABELS.indexOf(testRows[i].label) + 1) % 3], 'permuted');
  const chosen = (m: typeof honest.metrics) => {
    const search = m.selection!.search!;
    return { pick: search.pick, regularization: search.regularization, scores: search.candidates.map((c) => [c.name, c.f1_macro.mean]), strategy: { ...m.strategy, backend: '' } };
  };
  assert.deepEqual(chosen(permuted.metrics), chosen(honest.metrics));
  assert.deepEqual(permuted.predictions.map((r) => r.probabilities), honest.predictions.map((r) => r.probabilities), 'the same model');
  assert.notEqual(permuted.metrics.f1_macro, honest.metrics.f1_macro, 'the test labels did change (only the test score sees them)');
  const weights = (name: string) => readFileSync(path.join(dir, name, 'weights.bin'));
  assert.deepEqual(weights('permuted'), weights('honest'));
});

test('cancelling during the search rejects promptly with an AbortError and writes no model', async () => {
  const controller = new AbortController();
  const modelDir = path.join(dir, 'cancelled-model');
  let eventsAfterAbort = 0;
  await assert.rejects(
    trainClassifier(spamJob(modelDir), (p) => {
      if (controller.signal.aborted) eventsAfterAbort++;
      if (p.phase === 'search' && p.done > 0 && !controller.signal.aborted) controller.abort();
    }, controller.signal),
    (error: Error) => error.name === 'AbortError',
  );
  assert.ok(controller.signal.aborted);
  assert.ok(eventsAfterAbort <= 2, `${eventsAfterAbort} progress events after the abort`);
  assert.equal(existsSync(path.join(modelDir, 'manifest.json')), false);
});

test('multi-label run on Brown passages: sigmoid probabilities, thresholds per label', async () => {
  const brown = brownMultiLabel({ passagesPerFile: 2 });
  // Four genres keep the run small; passages with other genres are dropped.
  const labels = ['adventure', 'government', 'learned', 'news'];
  const keep = brown.train.filter((e) => e.labels.every((l) => labels.includes(l)));
  const examples: TrainExample[] = keep.map((e) => ({ id: e.id, text: e.text, contentHash: hash(e.text), labels: e.labels }));
  const result = await trainClassifier(
    { task: 'multi_label', labels, examples, settings: { ...DEFAULT_TRAIN_SETTINGS, testFraction: 0.3, repeats: 1 }, encoder: 'use-lite', cacheFile, modelDir: path.join(dir, 'brown-model') },
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
  const sums = result.predictions.map((row) => labels.reduce((s, l) => s + row.probabilities[l], 0));
  assert.ok(sums.some((s) => Math.abs(s - 1) > 0.05), 'sigmoid, not softmax');
  assert.ok(['bce', 'focal_bce'].includes(m.strategy.loss));
});

test('the MLP head trains in tfjs with early stopping on validation, and costs and a review budget shape its decisions', async () => {
  const result = await trainClassifier(
    spamJob(path.join(dir, 'mlp-model'), { head: 'mlp', strategy: 'weighted', epochs: 15, valFraction: 0.2, costs: { miss: { spam: 20 }, falseAlarm: {} }, reviewBudget: 0.2 }),
    () => {},
  );
  const m = result.metrics;
  assert.equal(m.selection!.method, 'validation');
  assert.ok(m.n_val > 0 && result.history.length > 0, 'epochs on a validation split');
  assert.equal(m.strategy.decision!.mode, 'costs');
  assert.ok(m.strategy.decision!.scale!.spam > m.strategy.decision!.scale!.ham, 'a spam miss costs more');
  assert.ok(m.review && m.review.toReview > 0 && m.review.automaticShare < 1, 'the least certain documents go to a person');
  assert.equal(result.predictions.filter((r) => r.needsReview).length, m.review.toReview);
});

test('explicit strategies map to the documented loss, weights and sampling', () => {
  const counts = [900, 70, 30];
  const spec = (name: Parameters<typeof specForStrategy>[0]) => specForStrategy(name, 'sqrt_inverse', 2, false);
  assert.deepEqual(lossFor('single_label', spec('none'), counts), { kind: 'cross_entropy', gamma: 0, classWeights: undefined });
  const weighted = lossFor('single_label', spec('weighted'), counts);
  assert.ok(Math.abs(weighted.classWeights!.reduce((a, b) => a + b, 0) / 3 - 1) < 1e-12, 'weights normalised to mean 1');
  assert.ok(weighted.classWeights![2] > weighted.classWeights![1] && weighted.classWeights![1] > weighted.classWeights![0]);
  assert.deepEqual([lossFor('single_label', spec('focal'), counts).kind, lossFor('single_label', spec('focal'), counts).gamma], ['focal', 2]);
  assert.deepEqual([spec('focal+oversample').sampling, lossFor('single_label', spec('focal+oversample'), counts).classWeights], ['oversample', undefined]);
  assert.equal(spec('oversample+undersample').sampling, 'oversample+undersample');
  assert.equal(spec('synthetic+oversample').synthetic, true);
  assert.equal(lossFor('multi_label', spec('focal'), counts).kind, 'focal_bce');
  assert.equal(candidateName(spec('weighted'), 'tuned'), 'square-root class weights + tuned thresholds');
});

test('a folder that is not a model is refused with the file named', async () => {
  await assert.rejects(loadPredictor(dir), (error: Error) => error.message.includes(path.join(dir, 'manifest.json')));
});
