// `finetune train --depth …` as a user runs it: real child processes, real tfjs training of a tiny random BERT
// (hf:<folder>) and of the shipped USE-lite, real SpamAssassin e-mails; predict reproduces the run's test scores.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { loadSpamAssassin } from './fixtures/corpora.js';
import { writeTinyBert } from './fixtures/tiny-bert.js';
import { loadTransformerTokenizer, readTransformerFolder } from '../electron/backend/training/transformer/hf-folder.js';
import { createRng, shuffleInPlace } from '../shared/random.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-fine-tune-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');

function finetune(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, FINETUNE_DEBUG: '' }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Ham and spam e-mails (first 600 characters), as JSONL. */
function writeMail(file: string, pool: 'train' | 'test', perClass: number): void {
  const corpus = loadSpamAssassin();
  const rng = createRng(pool === 'train' ? 3 : 4);
  const lines = (['ham', 'spam'] as const).flatMap((label) => shuffleInPlace(corpus[pool].filter((e) => e.label === label), rng).slice(0, perClass).map((e) => JSON.stringify({ text: e.text.slice(0, 600), label })));
  writeFileSync(join(dir, file), shuffleInPlace(lines, rng).join('\n') + '\n');
}

type Row = Record<string, string>;
const readCsv = (file: string): Row[] => parse(readFileSync(file, 'utf8'), { columns: true }) as Row[];

function assertSameScores(predicted: Row[], run: Row[], labels: string[]): void {
  const byText = new Map(run.map((row) => [row.text, row]));
  const compared = new Set<string>();
  for (const row of predicted) {
    const other = byText.get(row.text);
    if (!other) continue;
    compared.add(row.text);
    for (const label of labels) assert.ok(Math.abs(Number(row[`p_${label}`]) - Number(other[`p_${label}`])) <= 1e-6, `${label}: ${row[`p_${label}`]} vs ${other[`p_${label}`]}`);
  }
  assert.equal(compared.size, byText.size, 'every test document was predicted again');
}

test('a Hugging Face folder fine-tunes end to end, saves a transformers-layout model, and predict reproduces the test scores', async () => {
  const folder = await writeTinyBert(join(dir, 'tiny-bert'));
  writeMail('train.jsonl', 'train', 40);
  writeMail('test.jsonl', 'test', 105);
  const trained = await finetune('train', '--data', 'train.jsonl', '--test', 'test.jsonl', '--encoder', `hf:${folder}`, '--depth', 'full', '--fine-tune-epochs', '2', '--max-length', '48', '--batch-size', '8', '--accumulate', '2', '--out', 'run-bert');
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stdout, /Fine-tuned \(full\) for \d epoch\(s\), keeping epoch \d/);
  assert.match(trained.stdout, /Backend tfjs-\w+ \(fine-tuned, depth full\)/);
  const metrics = JSON.parse(readFileSync(join(dir, 'run-bert', 'metrics.json'), 'utf8'));
  assert.ok(metrics.n_test >= 200, `${metrics.n_test} test documents after deduplication`);
  assert.ok(metrics.n_val > 0, 'a validation split stopped the training');
  assert.equal(metrics.selection.method, 'validation');
  const model = join(dir, 'run-bert', 'model');
  const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
  assert.equal(manifest.format, 'finetune-transformer-v1');
  assert.ok(manifest.fineTune.history.length >= 1);
  const config = JSON.parse(readFileSync(join(model, 'hf', 'config.json'), 'utf8'));
  assert.deepEqual(config.id2label, Object.fromEntries(manifest.labels.map((label: string, i: number) => [String(i), label])), 'id2label in the model\'s output order');
  assert.deepEqual([...manifest.labels].sort(), ['ham', 'spam']);
  assert.ok(existsSync(join(model, 'hf', 'model.safetensors')) && existsSync(join(model, 'hf', 'tokenizer.json')));

  const predicted = await finetune('predict', '--model', join('run-bert', 'model'), '--data', 'test.jsonl', '--out', 'bert-predictions.csv');
  assert.equal(predicted.code, 0, predicted.stderr);
  assertSameScores(readCsv(join(dir, 'bert-predictions.csv')), readCsv(join(dir, 'run-bert', 'predictions.csv')), ['ham', 'spam']);
});

/** `finetune export` of a fine-tuned model, whose own check compares ONNX Runtime with the app on the run's test documents. */
async function exportWithParity(model: string, out: string, documents: number): Promise<void> {
  const exported = await finetune('export', '--model', model, '--out', out, '--verify', String(documents));
  assert.equal(exported.code, 0, exported.stdout + exported.stderr);
  const onnx = new RegExp(`onnx +[\\d.]+ docs/s +max \\|Δp\\| (\\S+) +same labels (\\d+)/${documents}`).exec(exported.stdout);
  assert.ok(onnx, exported.stdout);
  assert.ok(Number(onnx[1]) <= 1e-4, `max |Δp| ${onnx[1]}`);
  assert.equal(Number(onnx[2]), documents);
  assert.match(exported.stdout, /ONNX checker on onnx\/model.onnx: (passed|skipped)/);
}

test('the fine-tuned BERT exports to ONNX with the app\'s probabilities on 200 test documents, beside a transformers checkpoint', async () => {
  await exportWithParity(join('run-bert', 'model'), 'bert-export', 200);
  const config = JSON.parse(readFileSync(join(dir, 'bert-export', 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
  assert.equal(config.problem_type, 'single_label_classification');
  assert.ok(config.finetune.temperature > 0 && config.finetune.calibration_bias);
  for (const file of ['model.safetensors', 'tokenizer.json', 'onnx/model.onnx', 'README.md']) assert.ok(existsSync(join(dir, 'bert-export', file)), file);
  assert.match(readFileSync(join(dir, 'bert-export', 'README.md'), 'utf8'), /AutoModelForSequenceClassification\.from_pretrained/);
});

const torchPython = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
test('PyTorch, reading the exported model.safetensors under transformers\' names, gives the app\'s probabilities', { skip: torchPython ? false : 'needs /usr/bin/python3 with torch (Debian python3-torch), which .ci/run installs' }, async () => {
  const run = readCsv(join(dir, 'run-bert', 'predictions.csv')).slice(0, 60);
  const manifest = JSON.parse(readFileSync(join(dir, 'run-bert', 'model', 'manifest.json'), 'utf8'));
  const tokenizer = await loadTransformerTokenizer(await readTransformerFolder(join(dir, 'bert-export')), manifest.maxLength);
  writeFileSync(join(dir, 'ids.json'), JSON.stringify(run.map((row) => tokenizer.encode(row.text))));
  const script = join(import.meta.dirname, '..', 'bench', 'peers', 'torch_bert.py');
  const python = spawnSync('/usr/bin/python3', [script, '--check', join(dir, 'bert-export'), '--ids', join(dir, 'ids.json')], { encoding: 'utf8' });
  assert.equal(python.status, 0, python.stderr);
  const { labels, probabilities } = JSON.parse(python.stdout) as { labels: string[]; probabilities: number[][] };
  let max = 0;
  run.forEach((row, i) => labels.forEach((label, c) => (max = Math.max(max, Math.abs(probabilities[i][c] - Number(row[`p_${label}`]))))));
  assert.ok(max <= 1e-4, `max |Δp| ${max}`);
});

test('the shipped USE-lite fine-tunes its top layer; predict reproduces the test scores, and its ONNX export too', async () => {
  writeMail('small.jsonl', 'train', 20);
  writeMail('small-test.jsonl', 'test', 6);
  const trained = await finetune('train', '--data', 'small.jsonl', '--test', 'small-test.jsonl', '--depth', 'top-1', '--fine-tune-epochs', '1', '--max-length', '32', '--out', 'run-use');
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stdout, /head started from a linear probe on the frozen vectors/);
  const manifest = JSON.parse(readFileSync(join(dir, 'run-use', 'model', 'manifest.json'), 'utf8'));
  assert.equal(manifest.weights, 'use-lite.safetensors');
  const predicted = await finetune('predict', '--model', join('run-use', 'model'), '--data', 'small-test.jsonl', '--out', 'use-predictions.csv');
  assert.equal(predicted.code, 0, predicted.stderr);
  assertSameScores(readCsv(join(dir, 'use-predictions.csv')), readCsv(join(dir, 'run-use', 'predictions.csv')), ['ham', 'spam']);
  await exportWithParity(join('run-use', 'model'), 'use-export', 12);
});

test('Ctrl-C keeps the last finished epoch, and --resume goes on from it', async () => {
  const args = ['train', '--data', 'train.jsonl', '--test', 'test.jsonl', '--encoder', `hf:${join(dir, 'tiny-bert')}`, '--depth', 'full', '--fine-tune-epochs', '6', '--max-length', '48', '--batch-size', '2', '--out', 'run-resume'];
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, FINETUNE_DEBUG: '' } });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const state = join(dir, 'run-resume', 'model', 'checkpoint', 'state.json');
  while (!existsSync(state)) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /Training cancelled\.\nThe last finished epoch is kept in .*checkpoint: run the same command with --resume to go on from there\./);
  const kept = JSON.parse(readFileSync(state, 'utf8')).epoch as number;

  const resumed = await finetune(...args, '--resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  const metrics = JSON.parse(readFileSync(join(dir, 'run-resume', 'metrics.json'), 'utf8'));
  assert.match(metrics.selection.reason, new RegExp(`resumed after epoch ${kept}`));
  assert.ok(!existsSync(join(dir, 'run-resume', 'model', 'checkpoint')), 'the checkpoint is removed once the run has ended');
  const refused = await finetune('train', '--data', 'train.jsonl', '--resume', '--out', 'run-bad');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--resume goes with --depth top-k or full/);
});

test('few labels: --depth contrastive tunes USE-lite on document pairs, fits a head, predicts and exports with parity', async () => {
  writeMail('few.jsonl', 'train', 12);
  const trained = await finetune('train', '--data', 'few.jsonl', '--test', 'small-test.jsonl', '--depth', 'contrastive', '--contrastive-pairs', '48', '--max-length', '32', '--out', 'run-setfit');
  assert.equal(trained.code, 0, trained.stderr);
  const metrics = JSON.parse(readFileSync(join(dir, 'run-setfit', 'metrics.json'), 'utf8'));
  assert.match(metrics.selection.reason, /^Tuned contrastively on 48 document pairs \(SetFit-style\), then a linear head \(validation macro-F1 \d\.\d{3}\); .*the head was fitted on the tuned vectors/);
  const predicted = await finetune('predict', '--model', join('run-setfit', 'model'), '--data', 'small-test.jsonl', '--out', 'setfit-predictions.csv');
  assert.equal(predicted.code, 0, predicted.stderr);
  assertSameScores(readCsv(join(dir, 'setfit-predictions.csv')), readCsv(join(dir, 'run-setfit', 'predictions.csv')), ['ham', 'spam']);
  await exportWithParity(join('run-setfit', 'model'), 'setfit-export', 12);
  const refused = await finetune('train', '--data', 'few.jsonl', '--encoder', `hf:${join(dir, 'tiny-bert')}`, '--depth', 'contrastive', '--out', 'run-refused');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /depth contrastive tunes a sentence encoder and works with the shipped USE-lite; for hf:.* use depth top-k or full/);
});

test('--try-fine-tune measures the top layer fine-tuned beside the search\'s pick on held-out training documents, or says why not', async () => {
  const measured = await finetune('train', '--data', 'train.jsonl', '--test', 'small-test.jsonl', '--try-fine-tune', '--search-seconds', '900', '--repeats', '1', '--out', 'run-candidate');
  assert.equal(measured.code, 0, measured.stderr);
  const metrics = JSON.parse(readFileSync(join(dir, 'run-candidate', 'metrics.json'), 'utf8'));
  const c = metrics.selection.fineTune;
  assert.equal(c.tried, true, JSON.stringify(c));
  assert.ok(c.documents >= 15 && c.documents <= 25, `${c.documents} held-out training documents (a quarter of 80)`);
  for (const e of [c.fineTuned, c.head]) assert.ok(e.low <= e.mean + 1e-9 && e.mean <= e.high + 1e-9 && e.low >= 0 && e.high <= 1, JSON.stringify(e));
  assert.ok(Math.abs(c.difference.mean - (c.fineTuned.mean - c.head.mean)) < 1e-9);
  assert.equal(c.chosen, c.difference.low > 0);
  assert.match(measured.stdout, /Fine-tuning the top layer was measured beside it on \d+ held-out training documents: macro-F1 \d+% \(\d+%–\d+%\) against the frozen head's \d+% \(\d+%–\d+%\), a difference of [+−]\d+ points \([+−]\d+ to [+−]\d+\): (clearly better, so the model was fine-tuned|not clearly better, so the frozen head was kept)\./);
  assert.equal(metrics.strategy.backend.includes('fine-tuned'), c.chosen, 'the model is the one the comparison chose');

  const rushed = await finetune('train', '--data', 'train.jsonl', '--test', 'small-test.jsonl', '--try-fine-tune', '--search-seconds', '1', '--repeats', '1', '--out', 'run-rushed');
  assert.equal(rushed.code, 0, rushed.stderr);
  assert.match(rushed.stdout, /Fine-tuning the top layer was not measured: (the search used its time budget \(\d+ s left\)|it would take about \d+ s on this computer, more than the \d+ s left)/);
  const wrong = await finetune('train', '--data', 'train.jsonl', '--try-fine-tune', '--strategy', 'weighted', '--out', 'run-bad');
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--try-fine-tune goes with --depth head and --strategy auto/);
});

test('depth options are checked before anything is read', async () => {
  const bad = await finetune('train', '--data', 'train.jsonl', '--depth', 'top-0', '--out', 'run-bad');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--depth must be head, top-1, top-2 \(top-k in general\), full or contrastive, got "top-0"/);
  const freeze = await finetune('train', '--data', 'train.jsonl', '--depth', 'top-1', '--freeze-embeddings', '--out', 'run-bad');
  assert.equal(freeze.code, 2);
  assert.match(freeze.stderr, /--freeze-embeddings goes with --depth full or contrastive/);
  const pairs = await finetune('train', '--data', 'train.jsonl', '--depth', 'full', '--contrastive-pairs', '10', '--out', 'run-bad');
  assert.equal(pairs.code, 2);
  assert.match(pairs.stderr, /--contrastive-pairs goes with --depth contrastive/);
});
