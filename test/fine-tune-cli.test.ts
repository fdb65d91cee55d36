// `finetune train --depth …` as a user runs it: real child processes, real tfjs training of a tiny random BERT
// (hf:<folder>) and of the shipped USE-lite, real SpamAssassin e-mails; predict reproduces the run's test scores.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { loadSpamAssassin } from './fixtures/corpora.js';
import { writeTinyBert } from './fixtures/tiny-bert.js';
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
  let compared = 0;
  for (const row of predicted) {
    const other = byText.get(row.text);
    if (!other) continue;
    compared += 1;
    for (const label of labels) assert.ok(Math.abs(Number(row[`p_${label}`]) - Number(other[`p_${label}`])) <= 1e-6, `${label}: ${row[`p_${label}`]} vs ${other[`p_${label}`]}`);
  }
  assert.equal(compared, run.length, 'every test document was predicted again');
}

test('a Hugging Face folder fine-tunes end to end, saves a transformers-layout model, and predict reproduces the test scores', async () => {
  const folder = await writeTinyBert(join(dir, 'tiny-bert'));
  writeMail('train.jsonl', 'train', 40);
  writeMail('test.jsonl', 'test', 15);
  const trained = await finetune('train', '--data', 'train.jsonl', '--test', 'test.jsonl', '--encoder', `hf:${folder}`, '--depth', 'full', '--fine-tune-epochs', '2', '--max-length', '48', '--batch-size', '8', '--accumulate', '2', '--out', 'run-bert');
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stdout, /Fine-tuned \(full\) for \d epoch\(s\), keeping epoch \d/);
  assert.match(trained.stdout, /Backend tfjs-\w+ \(fine-tuned, depth full\)/);
  const metrics = JSON.parse(readFileSync(join(dir, 'run-bert', 'metrics.json'), 'utf8'));
  assert.equal(metrics.n_test, 30);
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

test('the shipped USE-lite fine-tunes its top layer; predict reproduces the test scores', async () => {
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
});

test('depth options are checked before anything is read', async () => {
  const bad = await finetune('train', '--data', 'train.jsonl', '--depth', 'top-0', '--out', 'run-bad');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--depth must be head, top-1, top-2 \(top-k in general\) or full, got "top-0"/);
  const freeze = await finetune('train', '--data', 'train.jsonl', '--depth', 'top-1', '--freeze-embeddings', '--out', 'run-bad');
  assert.equal(freeze.code, 2);
  assert.match(freeze.stderr, /--freeze-embeddings goes with --depth full/);
});
