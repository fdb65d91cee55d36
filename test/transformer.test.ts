// The trainable transformer on a tiny random BERT: forward parity with the ONNX graph of the same weights,
// gradients against finite differences, a step that lowers the loss, what each depth may change, save/load, and
// the folder checks. Real tfjs (the backend this process picks) and real ONNX Runtime.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, renameSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { initTensorflow, type TfRuntime } from '../electron/backend/tf/backend.js';
import { readTransformerFolder, loadTransformerClassifier, loadTransformerTokenizer, saveTransformerClassifier, type TransformerFolder, type TransformerTokenizer } from '../electron/backend/training/transformer/hf-folder.js';
import { toBatch, disposeBatch } from '../electron/backend/training/transformer/batches.js';
import { batchGradients, batchLoss, fineTune, scoreSequences } from '../electron/backend/training/transformer/fine-tune.js';
import type { TransformerClassifier } from '../electron/backend/training/transformer/model.js';
import { parseDepth } from '../electron/backend/training/transformer/trainable.js';
import { readSafetensors, writeSafetensors } from '../electron/backend/training/transformer/safetensors.js';
import { scheduleFactor } from '../electron/backend/training/transformer/adamw.js';
import { writeTinyBert } from './fixtures/tiny-bert.js';
import { loadEncoder } from '../electron/backend/encoders/index.js';
import { UseLiteClassifier } from '../electron/backend/training/transformer/use-lite-trainable.js';

const root = mkdtempSync(path.join(tmpdir(), 'transformer-'));
after(() => rmSync(root, { recursive: true, force: true }));
const texts = ['The jury said the election was conducted fairly.', 'a', 'Free money now, click here', 'The county would pay for the new school.'];
const CE = { kind: 'cross_entropy' as const, gamma: 0 };

let rt: TfRuntime;
let folder: string;
let source: TransformerFolder;
let tokenizer: TransformerTokenizer;
before(async () => {
  rt = await initTensorflow('auto');
  folder = await writeTinyBert(path.join(root, 'bert'));
  source = await readTransformerFolder(folder);
  tokenizer = await loadTransformerTokenizer(source, 64);
});

async function load(classes = 3, seed = 1): Promise<TransformerClassifier> {
  return (await loadTransformerClassifier(rt.tf, source, classes, seed)).model;
}

test('the last hidden states match ONNX Runtime on the same weights within 1e-5', async () => {
  const model = await load();
  const ids = texts.map(tokenizer.encode);
  assert.deepEqual(ids[1].slice(0, 1), [2], 'starts with [CLS]');
  assert.equal(ids[1].at(-1), 3, 'ends with [SEP]');
  const batch = toBatch(rt.tf, ids, tokenizer.padId);
  const ours = rt.tf.tidy(() => model.hiddenStates(batch)).dataSync();
  const session = await ort.InferenceSession.create(path.join(folder, 'onnx', 'model.onnx'));
  const [b, t] = batch.ids.shape;
  const int64 = (values: ArrayLike<number>) => new ort.Tensor('int64', BigInt64Array.from(Array.from(values, (x) => BigInt(x))), [b, t]);
  const out = await session.run({ input_ids: int64(batch.ids.dataSync()), attention_mask: int64(batch.mask.dataSync()), token_type_ids: int64(new Array(b * t).fill(0)) });
  const theirs = out.last_hidden_state.data as Float32Array;
  const mask = batch.mask.dataSync();
  const hidden = source.config.hidden;
  let max = 0;
  for (let i = 0; i < b * t; i++) if (mask[i]) for (let h = 0; h < hidden; h++) max = Math.max(max, Math.abs(ours[i * hidden + h] - theirs[i * hidden + h]));
  assert.ok(max <= 1e-5, `max |Δ| ${max}`);
  disposeBatch(batch);
  await session.release();
  model.dispose();
});

test('gradients agree with central finite differences', async () => {
  const model = await load(3, 5);
  const ids = texts.map(tokenizer.encode);
  const targets = [[0], [1], [2], [0]];
  const picks: Array<[string, number]> = [['head.out.w', 4], ['head.dense.b', 2], ['layer1.up.w', 17], ['layer0.query.w', 33], ['embeddings.norm.g', 5], ['embeddings.word', ids[0][1] * source.config.hidden + 3]];
  const variables = picks.map(([name]) => model.params.get(name)!);
  const { grads } = batchGradients(rt.tf, model, CE, ids, targets, variables, tokenizer.padId, null);
  const lossAt = () => batchLoss(rt.tf, model, CE, ids, targets, tokenizer.padId);
  for (const [i, [name, index]] of picks.entries()) {
    const variable = variables[i];
    const original = Float32Array.from(variable.dataSync());
    const analytic = grads[i].dataSync()[index];
    const eps = 1e-2;
    const nudged = (delta: number) => {
      const values = Float32Array.from(original);
      values[index] += delta;
      rt.tf.tidy(() => variable.assign(rt.tf.tensor(values, variable.shape)));
      return lossAt();
    };
    const numeric = (nudged(eps) - nudged(-eps)) / (2 * eps);
    rt.tf.tidy(() => variable.assign(rt.tf.tensor(original, variable.shape)));
    assert.ok(Math.abs(analytic) > 1e-6, `${name}[${index}] has a gradient (${analytic})`);
    assert.ok(Math.abs(analytic - numeric) <= 0.03 * Math.abs(numeric) + 2e-4, `${name}[${index}]: analytic ${analytic}, numeric ${numeric}`);
  }
  grads.forEach((g) => g.dispose());
  model.dispose();
});

function snapshot(model: TransformerClassifier): Map<string, Float32Array> {
  return new Map([...model.params].map(([name, v]) => [name, Float32Array.from(v.dataSync())]));
}

test('each depth changes only what it should, and a step lowers the loss on a fixed batch', async () => {
  const ids = texts.map(tokenizer.encode);
  const data = { task: 'single_label' as const, classes: 3, train: { ids, targets: [[0], [1], [2], [0]] }, val: { ids, targets: [[0], [1], [2], [0]] } };
  const settings = { epochs: 1, batchSize: 4, accumulate: 1, warmupRatio: 0, patience: 1, seed: 3, dropout: false, optimizer: { bodyLearningRate: 1e-3, headLearningRate: 1e-2 } };
  for (const depthText of ['head', 'top-1', 'full']) {
    const model = await load(3, 9);
    const before = snapshot(model);
    const lossBefore = batchLoss(rt.tf, model, CE, ids, data.train.targets, tokenizer.padId);
    await fineTune(rt.tf, model, tokenizer, data, CE, { ...settings, depth: parseDepth(depthText) });
    const lossAfter = batchLoss(rt.tf, model, CE, ids, data.train.targets, tokenizer.padId);
    assert.ok(lossAfter < lossBefore, `${depthText}: loss ${lossBefore} → ${lossAfter}`);
    const changed = [...model.params.keys()].filter((name) => model.params.get(name)!.dataSync().some((x, i) => x !== before.get(name)![i]));
    const allowed = (name: string) => name.startsWith('head.') || (depthText === 'top-1' && name.startsWith('layer1.')) || depthText === 'full';
    assert.deepEqual(changed.filter((n) => !allowed(n)), [], `${depthText} changed only what it trains`);
    assert.ok(changed.some((n) => n.startsWith('head.')), `${depthText}: the head learned`);
    if (depthText === 'top-1') assert.ok(changed.some((n) => n.startsWith('layer1.')));
    if (depthText === 'full') assert.ok(changed.includes('embeddings.word') && changed.some((n) => n.startsWith('layer0.')));
    model.dispose();
  }
  const frozen = await load(3, 9);
  assert.ok(!frozen.trainable(parseDepth('full', true)).some((v) => v.name.includes('embeddings')), '--freeze-embeddings keeps the embeddings');
  frozen.dispose();
  assert.throws(() => parseDepth('top-0'), /head, top-1, top-2/);
});

test('a saved classifier loads with identical outputs, under the names transformers uses', async () => {
  const model = await load(2, 11);
  const labels = ['ham', 'spam'];
  const target = path.join(root, 'saved');
  await saveTransformerClassifier(model, source, target, labels, 'single_label');
  const config = JSON.parse(readFileSync(path.join(target, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(config.id2label, { 0: 'ham', 1: 'spam' });
  assert.equal(config.problem_type, 'single_label_classification');
  const names = [...(await readSafetensors(path.join(target, 'model.safetensors'))).keys()];
  for (const name of ['bert.embeddings.word_embeddings.weight', 'bert.encoder.layer.1.attention.self.query.weight', 'bert.pooler.dense.weight', 'classifier.weight']) assert.ok(names.includes(name), name);
  const reloadedSource = await readTransformerFolder(target);
  const reloaded = await loadTransformerClassifier(rt.tf, reloadedSource, 2, 99);
  assert.deepEqual(reloaded.initialised, [], 'every weight, the head included, came from the file');
  const ids = texts.map(tokenizer.encode);
  const a = await scoreSequences(rt.tf, model, ids, tokenizer.padId);
  const b = await scoreSequences(rt.tf, reloaded.model, ids, tokenizer.padId);
  a.forEach((row, i) => assert.deepEqual(Array.from(row), Array.from(b[i])));
  model.dispose();
  reloaded.model.dispose();
});

test('folders that cannot be fine-tuned are refused with the reason', async () => {
  const deberta = await writeTinyBert(path.join(root, 'deberta'));
  const configFile = path.join(deberta, 'config.json');
  writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), model_type: 'deberta-v2' }));
  await assert.rejects(readTransformerFolder(deberta), /model_type 'deberta-v2' cannot be fine-tuned here; supported: bert, roberta, xlm-roberta, camembert, electra, distilbert/);
  const pickle = await writeTinyBert(path.join(root, 'pickle'));
  renameSync(path.join(pickle, 'model.safetensors'), path.join(pickle, 'pytorch_model.bin'));
  await assert.rejects(readTransformerFolder(pickle), /only pytorch_model\.bin is there; it is a Python pickle.*safe_serialization=True/);
  const broken = path.join(root, 'broken.safetensors');
  writeFileSync(broken, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
  await assert.rejects(readSafetensors(broken), /broken\.safetensors: not a safetensors file: header length 200/);
});

test('safetensors: float32 round trip, float16 and bfloat16 widened', async () => {
  const file = path.join(root, 'roundtrip.safetensors');
  const data = Float32Array.from([0, 1.5, -2.25, 3e-8, 65504]);
  await writeSafetensors(file, new Map([['w', { shape: [5], data }], ['a.b', { shape: [1, 1], data: Float32Array.from([7]) }]]));
  const back = await readSafetensors(file);
  assert.deepEqual(Array.from(back.get('w')!.data), Array.from(data));
  assert.deepEqual(back.get('a.b')!.shape, [1, 1]);
  // 1.5 in float16 is 0x3E00; -2 in bfloat16 is 0xC000; an int64 buffer is skipped.
  const header = JSON.stringify({ h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, bf: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] }, ids: { dtype: 'I64', shape: [1], data_offsets: [4, 12] } });
  const bytes = Buffer.alloc(8 + header.length + 12);
  bytes.writeBigUInt64LE(BigInt(header.length));
  bytes.write(header, 8);
  bytes.writeUInt16LE(0x3e00, 8 + header.length);
  bytes.writeUInt16LE(0xc000, 8 + header.length + 2);
  writeFileSync(file, bytes);
  const mixed = await readSafetensors(file);
  assert.deepEqual([mixed.get('h')!.data[0], mixed.get('bf')!.data[0], mixed.has('ids')], [1.5, -2, false]);
});

test('the learning rate warms up linearly, then decays linearly to zero', () => {
  assert.deepEqual([0, 5, 10, 11, 55, 100].map((s) => Number(scheduleFactor(s, 10, 100).toFixed(4))), [0, 0.5, 1, 0.9889, 0.5, 0]);
  assert.equal(scheduleFactor(0, 0, 10), 1);
  assert.equal(scheduleFactor(3, 0, 10), 0.7);
});

test('USE-lite rebuilt as variables reproduces the frozen encoder, and top-1 trains only its top', async () => {
  const encoder = await loadEncoder('use-lite');
  const sentences = [...texts, 'Meeting moved to 3pm; bring the quarterly figures.', ''];
  const frozen = await encoder.embed(sentences);
  const ids = (await encoder.tokenize(sentences)).map((s) => (s.length > 0 ? s.slice(0, 128) : [0]));
  await encoder.dispose();
  const model = new UseLiteClassifier(rt.tf, 2);
  const batch = toBatch(rt.tf, ids, 0);
  const rebuilt = rt.tf.tidy(() => model.sentenceVectors(batch)).arraySync();
  frozen.forEach((v, i) => {
    let dot = 0, na = 0, nb = 0;
    for (let h = 0; h < v.length; h++) { dot += v[h] * rebuilt[i][h]; na += v[h] ** 2; nb += rebuilt[i][h] ** 2; }
    assert.ok(dot / Math.sqrt(na * nb) >= 0.99999, `sentence ${i}: cosine ${dot / Math.sqrt(na * nb)}`);
  });
  disposeBatch(batch);
  const before = snapshot(model as unknown as TransformerClassifier);
  const data = { task: 'single_label' as const, classes: 2, train: { ids: ids.slice(0, 4), targets: [[0], [1], [1], [0]] }, val: { ids: ids.slice(0, 4), targets: [[0], [1], [1], [0]] } };
  await fineTune(rt.tf, model, { padId: 0 }, data, CE, { epochs: 1, batchSize: 4, accumulate: 1, warmupRatio: 0, patience: 1, seed: 1, dropout: true, optimizer: { bodyLearningRate: 1e-3 }, depth: parseDepth('top-1') });
  const changed = [...model.params.keys()].filter((name) => model.params.get(name)!.dataSync().some((x, i) => x !== before.get(name)![i]));
  assert.ok(changed.length > 0 && changed.every((n) => /^(layer1\.|pooler\.|head\.)/.test(n)), `changed: ${changed.join(', ')}`);
  assert.ok(changed.some((n) => n.startsWith('layer1.')) && changed.includes('head.w'));
  model.dispose();
});
