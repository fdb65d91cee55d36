// Sentence pairs end to end on real parts: pair features and swap-invariant identity, then `finetune train
// --pair-col` on real Brown passage pairs (same document or another of the same genre) with the sentence encoder,
// and `predict --pair-col` on the trained model.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toCsv } from '../shared/csv.js';
import { exampleKey, pairContentHash, pairFeatures, pairTokenIds } from '../electron/backend/training/pairs.js';
import { brownPairs } from './fixtures/brown-pairs.js';
import { writeTinyBert } from './fixtures/tiny-bert.js';
import { createAppService } from '../electron/backend/app/service.js';
import { defaultSamplePath } from '../electron/backend/app/resources.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'finetune-pairs-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');
const finetune = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });

/** Exports `model` with `export --verify N`: within 1e-4 of the app and the same labels on every compared pair; returns how many. */
async function exportWithParity(model: string, out: string, verify: string): Promise<number> {
  const exported = await finetune('export', '--model', model, '--out', out, '--verify', verify);
  assert.equal(exported.code, 0, exported.stdout + exported.stderr);
  const parity = /onnx +[\d.]+ docs\/s +max \|Δp\| (\S+) +same labels (\d+)\/(\d+)/.exec(exported.stdout);
  assert.ok(parity, exported.stdout);
  assert.ok(Number(parity[1]) <= 1e-4, `max |Δp| ${parity[1]}`);
  assert.equal(parity[2], parity[3]);
  return Number(parity[3]);
}

describe('pair features', () => {
  it('are [u, v, |u − v|, u ∘ v], and the second text\'s words are kept apart from the first\'s', () => {
    const f = pairFeatures(Float32Array.from([1, -2]), Float32Array.from([3, 0.5]));
    assert.deepEqual(Array.from(f), [1, -2, 3, 0.5, 2, 2.5, 3, -1]);
    const ids = pairTokenIds([5, 7], [5]);
    assert.deepEqual(Array.from(ids.slice(0, 2)), [5, 7]);
    assert.notEqual(ids[2], 5);
  });

  it('give a pair and its swap one identity, for deduplication and splitting', () => {
    assert.equal(pairContentHash('refund please', 'money back'), pairContentHash('money back', 'refund please'));
    assert.notEqual(pairContentHash('refund please', 'money back'), pairContentHash('refund please', 'money'));
    assert.equal(exampleKey({ text: 'A b c', pair: 'd e' }), exampleKey({ text: 'd e', pair: 'A b c' }));
  });
});

describe('finetune train / predict --pair-col (CLI)', () => {
  it('trains a pair model on real passage pairs, leaves out test pairs that are train pairs swapped, and predicts', async () => {
    const { train, test } = brownPairs({ perFile: 2, othersPerSame: 2 });
    const rows = (list: typeof train) => list.map((p) => [p.a, p.b, p.label]);
    // The first training pair again, swapped, in the test file: it must not be scored as a new pair.
    const testRows = [[train[0].b, train[0].a, train[0].label], ...rows(test.filter((_, i) => i % 2 === 0))];
    writeFileSync(join(dir, 'train.csv'), toCsv(['first', 'second', 'label'], rows(train)));
    writeFileSync(join(dir, 'test.csv'), toCsv(['first', 'second', 'label'], testRows));
    const trained = await finetune('train', '--data', 'train.csv', '--test', 'test.csv', '--text-col', 'first', '--pair-col', 'second', '--label-col', 'label', '--strategy', 'weighted', '--out', 'run', '--cache', join(dir, 'cache.sqlite'));
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stderr, /1 test document also appears \(or nearly\) in the training data/);
    const metrics = JSON.parse(readFileSync(join(dir, 'run', 'metrics.json'), 'utf8'));
    const distinctTestPairs = new Set(testRows.map(([a, b]) => pairContentHash(a, b))).size;
    assert.equal(metrics.n_test, distinctTestPairs - 1);
    // Same-document pairs are the minority; a model that always says "other" scores macro-F1 about 0.4.
    assert.ok(metrics.f1_macro > 0.7, `macro-F1 ${metrics.f1_macro}`);
    assert.ok(metrics.per_class.same.f1 > 0.5, `same F1 ${metrics.per_class.same.f1}`);

    const predicted = await finetune('predict', '--model', 'run', '--data', 'test.csv', '--text-col', 'first', '--pair-col', 'second', '--out', 'out.csv');
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8').split(/\r?\n/)[0], 'source,text,pair,predicted,p_same,p_other');
    // --explain measures both texts of each pair, each with the other kept whole.
    writeFileSync(join(dir, 'few.csv'), toCsv(['first', 'second'], testRows.slice(1, 3).map(([a, b]) => [a, b])));
    const why = await finetune('predict', '--model', 'run', '--data', 'few.csv', '--text-col', 'first', '--pair-col', 'second', '--explain', '--out', 'why.csv');
    assert.equal(why.code, 0, why.stderr);
    assert.match(readFileSync(join(dir, 'why.csv'), 'utf8'), /towards (same|other) .*; in the second text: towards/);
    const refused = await finetune('predict', '--model', 'run', '--data', 'test.csv', '--text-col', 'first', '--out', 'x.csv');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /is a sentence-pair model: give --pair-col/);
  });

  it('exports the pair model to ONNX in the text-pair layout, with the app\'s probabilities, and predicts with the export', async () => {
    // Uses the model trained above (its predictions.csv holds both texts of each test pair).
    const compared = await exportWithParity('run/model', 'pair-export', '200');
    assert.ok(compared >= 50, `${compared} test pairs compared`);
    const config = JSON.parse(readFileSync(join(dir, 'pair-export', 'config.json'), 'utf8'));
    assert.equal(config.finetune.pairs, true);
    // A tokenizer called with a text pair gives the graph's token_type_ids (0 then 1), with no added tokens
    // (transformers.js returns them when asked; Python's tokenizers do by default, from model_input_names).
    const { AutoTokenizer } = await import('@huggingface/transformers');
    const tokenizer = await AutoTokenizer.from_pretrained(join(dir, 'pair-export'), { local_files_only: true });
    const encoded = tokenizer('the cat', { text_pair: 'sat down', return_token_type_ids: true }) as unknown as { input_ids: { data: BigInt64Array }; token_type_ids: { data: BigInt64Array } };
    const types = Array.from(encoded.token_type_ids.data, Number);
    assert.ok(types.length === encoded.input_ids.data.length && types[0] === 0 && types.at(-1) === 1 && types.includes(0) && types.includes(1), JSON.stringify(types));
    const predicted = await finetune('predict', '--model', 'pair-export', '--data', 'test.csv', '--text-col', 'first', '--pair-col', 'second', '--out', 'onnx-out.csv');
    assert.equal(predicted.code, 0, predicted.stderr);
    const app = readFileSync(join(dir, 'out.csv'), 'utf8').split(/\r?\n/);
    const onnx = readFileSync(join(dir, 'onnx-out.csv'), 'utf8').split(/\r?\n/);
    assert.equal(onnx.length, app.length);
    const predictedColumn = (line: string) => line.split(',').at(-3);
    assert.deepEqual(onnx.slice(1, 40).map(predictedColumn), app.slice(1, 40).map(predictedColumn));
  });

  it('a project of pairs in the app: the pair column is set once, training pairs both texts, and predictions take pairs', async () => {
    const { train } = brownPairs({ perFile: 2, othersPerSame: 2 });
    writeFileSync(join(dir, 'app-pairs.csv'), toCsv(['first', 'second', 'label'], train.slice(0, 120).map((p) => [p.a, p.b, p.label])));
    const service = createAppService({ dataDir: join(dir, 'app-data'), samplePath: defaultSamplePath() });
    try {
      await service.handle('projects:create', { name: 'pairs', task: 'single_label' });
      const imported = await service.handle('import:run', { paths: [join(dir, 'app-pairs.csv')], options: { textCol: 'first', labelCol: 'label', pairCol: 'second' } });
      // Pairs that share a first text are different documents; a pair and its swap are one.
      const distinct = new Set(train.slice(0, 120).map((p) => pairContentHash(p.a, p.b))).size;
      assert.ok(distinct > new Set(train.slice(0, 120).map((p) => p.a)).size, 'the fixture has first texts in several pairs');
      assert.equal(imported.imported, distinct);
      await assert.rejects(service.handle('projects:setPairColumn', { column: 'nothing' }), /No document has a column "nothing"/);
      assert.equal((await service.handle('projects:setPairColumn', { column: 'second' })).pairColumn, 'second');
      const finished = new Promise<void>((resolve) => {
        const stop = service.on((event) => {
          if (event === 'train:finished') {
            stop();
            resolve();
          }
        });
      });
      const { runId } = await service.handle('train:start', { settings: { strategy: 'weighted' } });
      await finished;
      const metrics = await service.handle('runs:metrics', { runId });
      assert.ok(metrics.f1_macro > 0.5, `macro-F1 ${metrics.f1_macro}`);
      const rows = await service.handle('runs:predictions', { runId });
      assert.ok(rows.length > 0 && rows.every((r) => typeof r.pair === 'string' && r.pair.length > 0), 'test predictions carry both texts');
      const [predicted] = await service.handle('predict:texts', { runId, texts: [train[0].a], pairs: [train[0].b] });
      assert.equal(predicted.pair, train[0].b);
      assert.ok(['same', 'other'].includes(predicted.predicted[0]));
      await assert.rejects(service.handle('predict:texts', { runId, texts: ['a'] }), /needs the second text of every input/);
    } finally {
      await service.close();
    }
  });

  it('reads pairs as one input with a Hugging Face encoder (a cross-encoder), and exports that with the app\'s probabilities', async () => {
    const bert = await writeTinyBert(join(dir, 'tiny-bert'));
    const { train, test } = brownPairs({ perFile: 2, othersPerSame: 2 });
    const rows = (list: typeof train) => list.map((p) => [p.a, p.b, p.label]);
    writeFileSync(join(dir, 'cross-train.csv'), toCsv(['first', 'second', 'label'], rows(train.slice(0, 150))));
    writeFileSync(join(dir, 'cross-test.csv'), toCsv(['first', 'second', 'label'], rows(test.slice(0, 60))));
    const common = ['--data', 'cross-train.csv', '--test', 'cross-test.csv', '--text-col', 'first', '--pair-col', 'second', '--label-col', 'label', '--strategy', 'weighted', '--encoder', `hf:${bert}`, '--cache', join(dir, 'cache.sqlite')];
    const trained = await finetune('train', ...common, '--no-lexical', '--out', 'cross');
    assert.equal(trained.code, 0, trained.stderr);
    const manifest = JSON.parse(readFileSync(join(dir, 'cross', 'model', 'manifest.json'), 'utf8'));
    assert.equal(manifest.crossEncoder, true);
    assert.equal(manifest.encoder.dim, 32, 'one vector per pair, the encoder\'s own width (not 4 × 32)');
    // The tiny random BERT knows nothing: the figures only have to exist; the export has to agree with the app.
    assert.ok((await exportWithParity('cross/model', 'cross-export', '60')) > 0);
    assert.equal(JSON.parse(readFileSync(join(dir, 'cross-export', 'config.json'), 'utf8')).finetune.cross_encoder, true);
    // With word features of both texts too, the model trains and predicts, and its export is refused with the reason.
    const withWords = await finetune('train', ...common, '--out', 'cross-words');
    assert.equal(withWords.code, 0, withWords.stderr);
    const refused = await finetune('export', '--model', 'cross-words/model', '--out', 'refused');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cross-encoder pair model also reads word features .* --no-lexical/);
  });

  it('names the columns there are when --pair-col names none of them', async () => {
    writeFileSync(join(dir, 'one.csv'), toCsv(['text', 'label'], [['a b', 'x'], ['c d', 'y']]));
    const result = await finetune('train', '--data', 'one.csv', '--pair-col', 'other', '--out', 'none', '--cache', join(dir, 'cache.sqlite'));
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /one\.csv: no column "other" for --pair-col \(other columns: none\)/);
  });
});
