// Export parity on really trained models: the tiny random BERT (a local Hugging Face folder) as the encoder,
// trained on SpamAssassin bodies with the app's trainer, exported, then run in onnxruntime-node and in
// @huggingface/transformers' pipeline, compared with the app's own predictor on 500 test documents; and the
// shipped USE-lite encoder (slower: fewer documents here, all 500 in bench/onnx.ts).
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PredictionRow, TaskKind, TrainSettings } from '../shared/domain.js';
import { DEFAULT_TRAIN_SETTINGS } from '../shared/domain.js';
import type { TrainExample } from '../electron/backend/training/job.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import { writeRunArtifacts } from '../electron/backend/training/artifacts.js';
import { loadPredictor } from '../electron/backend/training/predictor.js';
import { exportModel, MODEL_FILE, QUANTIZED_MODEL_FILE } from '../electron/backend/export/index.js';
import { loadOnnxPredictor } from '../electron/backend/export/onnx-predictor.js';
import { checkOnnxModel } from '../electron/backend/export/onnx-checker.js';
import { requirePython } from './fixtures/python.js';
import { compareRows } from '../electron/backend/export/verify.js';
import { decodeModel, longToNumber } from '../electron/backend/onnx/graph-builder.js';
import { brownMultiLabel, loadSpamAssassin, SPAM_LABELS } from './fixtures/corpora.js';
import { writeTinyBert } from './fixtures/tiny-bert.js';

const root = mkdtempSync(path.join(tmpdir(), 'export-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
const PARITY_DOCS = 500;

const hash = (text: string) => createHash('sha256').update(text).digest('hex');
/** Texts are cut to 1,500 characters to keep the test fast (the tokenizer dominates); that is still past the tiny
 * BERT's 128 positions, so the clipping inside the graph is exercised. */
const example = (id: string, fullText: string, labels: string[], maxChars = 1500): TrainExample => {
  const text = fullText.slice(0, maxChars);
  return { id, text, contentHash: hash(text), labels };
};
/** A few whole long bodies of 20k–50k characters (the app tokenises texts over 20k characters in pieces), some with
 * base64 attachments of over 20k characters without a space. */
const LONG_DOCS = 5;

/** Every k-th item, so small samples still cover every class. */
const spread = <T>(items: T[], n: number): T[] => items.filter((_, i) => i % Math.max(1, Math.floor(items.length / n)) === 0).slice(0, n);

interface TrainedModel { runDir: string; modelDir: string; testTexts: string[] }

async function trainModel(name: string, encoder: string, task: TaskKind, labels: string[], train: TrainExample[], test: TrainExample[], settings: Partial<TrainSettings>): Promise<TrainedModel> {
  const runDir = path.join(root, name);
  const result = await trainClassifier({
    task,
    labels,
    examples: train,
    test,
    settings: { ...DEFAULT_TRAIN_SETTINGS, epochs: 12, ...settings },
    encoder,
    cacheFile: path.join(runDir, 'cache.sqlite'),
    modelDir: path.join(runDir, 'model'),
  }, () => {}, undefined, { bootstrapIterations: 50, lexical: { maxFeatures: 3000, minDocumentFrequency: 2 } });
  await writeRunArtifacts(runDir, result.metrics, result.predictions);
  return { runDir, modelDir: result.modelDir, testTexts: test.map((e) => e.text) };
}

/** The official checker on a file: a skip (with the reason) where python3-onnx is missing, a failure under CI. */
async function assertCheckerPasses(t: TestContext, file: string) {
  if (!requirePython(t, ['onnx'])) return;
  assert.deepEqual(await checkOnnxModel(file), { status: 'passed' }, file);
}

let bert: string;
let spam: TrainedModel;
let spamExport: string;
let reference: PredictionRow[];

before(async () => {
  bert = await writeTinyBert(path.join(root, 'tiny-bert'));
  const corpus = loadSpamAssassin();
  const train = SPAM_LABELS.flatMap((label) => spread(corpus.train.filter((e) => e.label === label), label === 'ham' ? 200 : 100))
    .map((e) => example(`${e.group}/${e.id}`, e.text, [e.label]));
  const longBodies = corpus.test.filter((e) => e.text.length > 20_000 && e.text.length < 50_000);
  const withBase64 = (e: { text: string }) => /[^ ]{20000}/.test(e.text);
  const long = [...longBodies.filter(withBase64).slice(0, 3), ...longBodies.filter((e) => !withBase64(e)).slice(0, LONG_DOCS - 3)]
    .map((e) => example(`${e.group}/${e.id}`, e.text, [e.label], Infinity));
  const test = [...spread(corpus.test, PARITY_DOCS - LONG_DOCS).map((e) => example(`${e.group}/${e.id}`, e.text, [e.label])), ...long];
  spam = await trainModel('spam', `hf:${bert}`, 'single_label', SPAM_LABELS, train, test, { strategy: 'weighted' });
  spamExport = path.join(root, 'spam-export');
  await exportModel(spam.modelDir, spamExport, { quantize: true });
  const predictor = await loadPredictor(spam.modelDir);
  reference = await predictor.predict(spam.testTexts);
  await predictor.dispose();
});

test('the export is a Hugging Face style folder that passes the ONNX checker', async (t) => {
  for (const file of [MODEL_FILE, QUANTIZED_MODEL_FILE, 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'README.md']) {
    assert.ok(existsSync(path.join(spamExport, file)), `${file} is written`);
  }
  const config = JSON.parse(readFileSync(path.join(spamExport, 'config.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(path.join(spam.modelDir, 'manifest.json'), 'utf8'));
  assert.deepEqual(config.id2label, { 0: 'ham', 1: 'hard_ham', 2: 'spam' });
  assert.deepEqual(config.label2id, { ham: 0, hard_ham: 1, spam: 2 });
  assert.equal(config.problem_type, 'single_label_classification');
  assert.equal(config.temperature, manifest.temperature);
  assert.equal(config.thresholds, null);
  const tokenizerConfig = JSON.parse(readFileSync(path.join(spamExport, 'tokenizer_config.json'), 'utf8'));
  assert.ok(tokenizerConfig.model_max_length >= 1_000_000, 'the exported tokenizer does not truncate (the graph clips)');
  const card = readFileSync(path.join(spamExport, 'README.md'), 'utf8');
  assert.match(card, /macro-F1: \*\*\d\.\d{3}\*\*/);
  assert.match(card, /\| hard_ham \| /, 'per-class table');
  assert.match(card, /strategy: \*\*weighted\*\*/);
  assert.match(card, /pipeline\('text-classification'/);
  assert.match(card, /onnxruntime as ort/);
  await assertCheckerPasses(t, path.join(spamExport, MODEL_FILE));
  await assertCheckerPasses(t, path.join(spamExport, QUANTIZED_MODEL_FILE));
});

test(`onnxruntime-node on the export gives the app's probabilities (≤ 1e-4) and labels on ${PARITY_DOCS} documents`, async () => {
  assert.equal(spam.testTexts.length, PARITY_DOCS);
  const onnx = await loadOnnxPredictor(spamExport);
  const exported = await onnx.predict(spam.testTexts);
  await onnx.dispose();
  const { maxAbsDiff: maxDiff, sameLabels } = compareRows(reference, exported);
  assert.ok(maxDiff <= 1e-4, `max abs probability difference ${maxDiff}`);
  assert.equal(sameLabels, PARITY_DOCS);
  // The model really learned something, so parity is not trivially met by constant outputs.
  assert.ok(new Set(reference.map((r) => r.predicted[0])).size >= 2, 'predictions span several classes');
});

test('the int8 export stays close to the float model', async (t) => {
  const quantized = await loadOnnxPredictor(spamExport, { quantized: true });
  const rows = await quantized.predict(spam.testTexts);
  await quantized.dispose();
  const { maxAbsDiff: maxDiff, sameLabels } = compareRows(reference, rows);
  t.diagnostic(`int8: max abs probability difference ${maxDiff.toFixed(4)}, same label on ${sameLabels}/${PARITY_DOCS}`);
  assert.ok(maxDiff < 0.1, `int8 drifted by ${maxDiff}`);
  assert.ok(sameLabels >= 0.95 * PARITY_DOCS, `int8 changed ${PARITY_DOCS - sameLabels} labels`);
});

test("@huggingface/transformers' text-classification pipeline loads the export and gives the app's probabilities", async () => {
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  const classify = await pipeline('text-classification', spamExport, { dtype: 'fp32' });
  const texts = spam.testTexts.slice(0, 40);
  const results = (await classify(texts)) as { label: string; score: number }[];
  await classify.dispose();
  results.forEach((r, i) => {
    // The pipeline ranks by probability; the app's decision rule (config.json "decision", the graph's
    // predicted_class) may favour a rare class on purpose, so the pipeline's top label is the most probable one.
    const probabilities = reference[i].probabilities;
    const mostProbable = Object.keys(probabilities).reduce((a, b) => (probabilities[b] > probabilities[a] ? b : a));
    assert.equal(r.label, mostProbable, `document ${i}`);
    assert.ok(Math.abs(r.score - probabilities[r.label]) <= 1e-4, `document ${i}: score ${r.score}`);
  });
});

test('a decision rule that overrules the most probable class (costs) travels in the graph: predicted_class and config.json agree with the app', async () => {
  const corpus = loadSpamAssassin();
  const train = [...spread(corpus.train.filter((e) => e.label === 'ham'), 120), ...spread(corpus.train.filter((e) => e.label === 'spam'), 40)].map((e) => example(`${e.group}/${e.id}`, e.text, [e.label === 'spam' ? 'spam' : 'ham']));
  const test = spread(corpus.test.filter((e) => e.label !== 'hard_ham'), 80).map((e) => example(`${e.group}/${e.id}`, e.text, [e.label === 'spam' ? 'spam' : 'ham']));
  const model = await trainModel('costs', `hf:${bert}`, 'single_label', ['ham', 'spam'], train, test, { strategy: 'none', repeats: 1, costs: { miss: { spam: 30 }, falseAlarm: {} } });
  const out = path.join(root, 'costs-export');
  await exportModel(model.modelDir, out);
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.match(config.decision.rule, /argmax/);
  assert.ok(config.decision.scale.spam > config.decision.scale.ham, JSON.stringify(config.decision));
  const app = await loadPredictor(model.modelDir);
  const onnx = await loadOnnxPredictor(out);
  const expected = await app.predict(model.testTexts);
  const actual = await onnx.predict(model.testTexts);
  await Promise.all([app.dispose(), onnx.dispose()]);
  const overruled = expected.filter((row) => row.predicted[0] === 'spam' && row.probabilities.spam < row.probabilities.ham).length;
  assert.ok(overruled > 0, 'the costs decide some documents against the most probable class');
  const { maxAbsDiff, sameLabels } = compareRows(expected, actual);
  assert.ok(maxAbsDiff <= 1e-4, `max abs probability difference ${maxAbsDiff}`);
  assert.equal(sameLabels, model.testTexts.length, 'the graph decides exactly as the app');
});

test('multi-label with an MLP head on a CLS-pooled, normalised BERT: sigmoid, tuned thresholds and parity', async () => {
  const clsBert = await writeTinyBert(path.join(root, 'tiny-bert-cls'), { pooling: 'cls', normalize: true, seed: 11 });
  const brown = brownMultiLabel({ wordsPerPassage: 60 });
  const labels = brown.labels.slice(0, 4);
  const keep = (items: typeof brown.train) => items
    .map((e) => ({ ...e, labels: e.labels.filter((l) => labels.includes(l)) }))
    .filter((e) => e.labels.length > 0)
    .map((e) => example(e.id, e.text, e.labels));
  const model = await trainModel('brown', `hf:${clsBert}`, 'multi_label', labels, keep(brown.train), keep(brown.test), { head: 'mlp', strategy: 'none' });
  const out = path.join(root, 'brown-export');
  await exportModel(model.modelDir, out);
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(config.problem_type, 'multi_label_classification');
  assert.deepEqual(Object.keys(config.thresholds), labels);
  const app = await loadPredictor(model.modelDir);
  const onnx = await loadOnnxPredictor(out);
  const expected = await app.predict(model.testTexts);
  const actual = await onnx.predict(model.testTexts);
  await Promise.all([app.dispose(), onnx.dispose()]);
  const { maxAbsDiff: maxDiff, sameLabels } = compareRows(expected, actual);
  assert.ok(maxDiff <= 1e-4, `max abs probability difference ${maxDiff}`);
  assert.equal(sameLabels, model.testTexts.length);
});

test('a head without lexical features, on an opset-14 BERT (layer norm written out), exports and matches too', async (t) => {
  const bert14 = await writeTinyBert(path.join(root, 'tiny-bert-14'), { opset: 14, seed: 5 });
  const corpus = loadSpamAssassin();
  const pick = (items: typeof corpus.train, n: number) => SPAM_LABELS.flatMap((label) => spread(items.filter((e) => e.label === label), n))
    .map((e) => example(`${e.group}/${e.id}`, e.text, [e.label]));
  const model = await trainModel('no-lexical', `hf:${bert14}`, 'single_label', SPAM_LABELS, pick(corpus.train, 30), pick(corpus.test, 15), { lexical: false, head: 'mlp' });
  const out = path.join(root, 'no-lexical-export');
  await exportModel(model.modelDir, out, { quantize: true });
  await assertCheckerPasses(t, path.join(out, MODEL_FILE));
  await assertCheckerPasses(t, path.join(out, QUANTIZED_MODEL_FILE));
  const opset = decodeModel(readFileSync(path.join(out, MODEL_FILE))).opset_import?.find((o) => !o.domain)?.version;
  assert.equal(longToNumber(opset), 14, 'the classifier graph adopts the encoder\'s opset');
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(config.finetune.lexical_features, 0);
  const app = await loadPredictor(model.modelDir);
  const onnx = await loadOnnxPredictor(out);
  const { maxAbsDiff, sameLabels } = compareRows(await app.predict(model.testTexts), await onnx.predict(model.testTexts));
  await Promise.all([app.dispose(), onnx.dispose()]);
  assert.ok(maxAbsDiff <= 1e-4, `max abs probability difference ${maxAbsDiff}`);
  assert.equal(sameLabels, model.testTexts.length);
});

test('`finetune export` writes the folder, runs the checker and proves parity on the run\'s test documents', async () => {
  const { execFile } = await import('node:child_process');
  const out = path.join(root, 'cli-export');
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['bin/finetune.js', 'export', '--model', spam.modelDir, '--out', out, '--verify', '30'], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /onnx\/model\.onnx/);
  assert.match(stdout, /Parity on 30 test documents/);
  assert.match(stdout, /onnx .* same labels 30\/30/);
  assert.ok(existsSync(path.join(out, MODEL_FILE)));
});

test('export errors name the folder and the reason', async () => {
  await assert.rejects(exportModel(path.join(root, 'nowhere'), path.join(root, 'x')), /nowhere.*manifest\.json/);
  // Changing the encoder folder after training would silently change every vector: refuse.
  const manifestPath = path.join(spam.modelDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const moved = path.join(root, 'spam-moved-model');
  const { cp } = await import('node:fs/promises');
  await cp(spam.modelDir, moved, { recursive: true });
  writeFileSync(path.join(moved, 'manifest.json'), JSON.stringify({ ...manifest, encoder: { ...manifest.encoder, id: 'hf:tiny-bert:0000000000000000' } }));
  await assert.rejects(exportModel(moved, path.join(root, 'y')), /trained with encoder 'hf:tiny-bert:0000000000000000'/);
});

test('USE-lite: the export holds the whole shipped encoder and matches the app (tfjs) on SpamAssassin bodies', async (t) => {
  const corpus = loadSpamAssassin();
  const train = SPAM_LABELS.flatMap((label) => spread(corpus.train.filter((e) => e.label === label), 30))
    .map((e) => example(`${e.group}/${e.id}`, e.text, [e.label]));
  const test = [...spread(corpus.test, 60).map((e) => example(`${e.group}/${e.id}`, e.text, [e.label])), example('empty', '', ['ham'])];
  const model = await trainModel('use-lite', 'use-lite', 'single_label', SPAM_LABELS, train, test, { strategy: 'weighted', epochs: 8 });
  const out = path.join(root, 'use-lite-export');
  await exportModel(model.modelDir, out, { quantize: true });
  await assertCheckerPasses(t, path.join(out, MODEL_FILE));
  await assertCheckerPasses(t, path.join(out, QUANTIZED_MODEL_FILE));

  const app = await loadPredictor(model.modelDir);
  const expected = await app.predict(model.testTexts);
  await app.dispose();
  const onnx = await loadOnnxPredictor(out);
  const { maxAbsDiff, sameLabels } = compareRows(expected, await onnx.predict(model.testTexts));
  await onnx.dispose();
  assert.ok(maxAbsDiff <= 1e-4, `max abs probability difference ${maxAbsDiff}`);
  assert.equal(sameLabels, model.testTexts.length);

  const int8 = await loadOnnxPredictor(out, { quantized: true });
  const quantized = compareRows(expected, await int8.predict(model.testTexts));
  await int8.dispose();
  t.diagnostic(`USE-lite int8: max abs probability difference ${quantized.maxAbsDiff.toFixed(4)}, same label on ${quantized.sameLabels}/${model.testTexts.length}`);
  assert.ok(quantized.sameLabels >= 0.9 * model.testTexts.length);

  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  const classify = await pipeline('text-classification', out, { dtype: 'fp32' });
  const results = (await classify(model.testTexts.slice(0, 10))) as { label: string }[];
  await classify.dispose();
  assert.deepEqual(results.map((r) => r.label), expected.slice(0, 10).map((r) => r.predicted[0]));
});
