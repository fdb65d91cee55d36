// Token tasks end to end on real parts: the CoNLL / JSONL-span / plain-text readers and their bad inputs, the
// tagger trained on real Brown sentences (split by file) with BIO-constrained decoding, and the CLI's
// `train --task token` and `predict` writing entities as character spans.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allowedTransition, entityScores } from '../shared/entities.js';
import { readTokenFile, tokenize } from '../electron/backend/import/tokens.js';
import { tagSentences, trainTagger, viterbi } from '../electron/backend/training/tagger/tagger.js';
import { brownTagged, type BrownSentence } from './fixtures/brown-tags.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'finetune-tokens-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('token files', () => {
  it('reads CoNLL sentences and documents, and reads IOB1 I- starts as B- with a notice', async () => {
    const file = write('iob1.conll', '-DOCSTART- -X- O\n\nAlice I-PER\nsaw O\nBob I-PER\nSmith I-PER\n\n-DOCSTART- -X- O\n\nParis\tI-LOC\n');
    const source = await readTokenFile(file);
    assert.deepEqual(source.issues, []);
    assert.deepEqual(source.sentences.map((s) => s.tags), [['B-PER', 'O', 'B-PER', 'I-PER'], ['B-LOC']]);
    assert.deepEqual(source.sentences.map((s) => [s.line, s.document]), [[3, 1], [10, 2]]);
    assert.match(source.notices.join('\n'), /3 I- tags began an entity without a B- before them \(IOB1 style; first in the sentence at line 3\): read as B-/);
  });

  it('skips a sentence whose tokens are partly untagged, naming its line, and keeps the others', async () => {
    const file = write('partial.conll', 'One O\nTwo\n\nThree B-NUM\n');
    const source = await readTokenFile(file);
    assert.equal(source.sentences.length, 1);
    assert.deepEqual(source.issues.map((i) => [i.where, i.reason]), [['line 1', "1 of the sentence's 2 tokens have no tag (a line with one column); give every token a tag, or none"]]);
    assert.equal(source.issues[0].file, file);
  });

  it('turns JSONL character spans into IOB2 tags, a span ending inside a word taking the whole word', async () => {
    const file = write('spans.jsonl', JSON.stringify({ text: 'Pay ACME Corp 40 EUR', spans: [{ start: 4, end: 12, label: 'ORG' }, { start: 14, end: 20, label: 'MONEY' }] }) + '\n');
    const [sentence] = (await readTokenFile(file)).sentences;
    assert.deepEqual(sentence.tokens, ['Pay', 'ACME', 'Corp', '40', 'EUR']);
    assert.deepEqual(sentence.tags, ['O', 'B-ORG', 'I-ORG', 'B-MONEY', 'I-MONEY']);
    const triples = write('triples.jsonl', JSON.stringify({ text: 'Pay ACME Corp 40 EUR', entities: [[4, 13, 'ORG']] }) + '\n');
    assert.deepEqual((await readTokenFile(triples)).sentences[0].tags, ['O', 'B-ORG', 'I-ORG', 'O', 'O']);
  });

  it('refuses overlapping spans, spans outside the text and token/tag count mismatches, line by line', async () => {
    const file = write('bad.jsonl', [
      JSON.stringify({ text: 'Alice Smith', spans: [{ start: 0, end: 11, label: 'PER' }, { start: 6, end: 11, label: 'PER' }] }),
      JSON.stringify({ text: 'short', spans: [{ start: 2, end: 40, label: 'X' }] }),
      JSON.stringify({ tokens: ['a', 'b'], tags: ['O'] }),
      '{"text": "fine here", "spans": []}',
      'not json',
    ].join('\n'));
    const source = await readTokenFile(file);
    assert.equal(source.sentences.length, 1);
    const reasons = source.issues.map((i) => `${i.where}: ${i.reason}`);
    assert.match(reasons[0], /^line 1: span 1 \(0–11, PER\) and span 2 \(6–11, PER\) overlap/);
    assert.match(reasons[1], /^line 2: span 1 \(2–40, X\) lies outside the text \(5 characters\)/);
    assert.match(reasons[2], /^line 3: 2 tokens but 1 tags/);
    assert.match(reasons[3], /^line 5: not valid JSON/);
  });

  it('reads plain text as untagged sentences with character offsets', async () => {
    const [sentence] = (await readTokenFile(write('plain.txt', 'Call 555-0100 now, Dr. Who.\n'))).sentences;
    assert.equal(sentence.tags, null);
    assert.deepEqual(sentence.tokens, ['Call', '555-0100', 'now', ',', 'Dr', '.', 'Who', '.']);
    assert.deepEqual(sentence.offsets![1], [5, 13]);
    assert.deepEqual(tokenize("O'Brien's 3.5 m").tokens, ["O'Brien's", '3.5', 'm']);
  });

  it('refuses a file type a token task cannot read, naming the file', async () => {
    await assert.rejects(readTokenFile(write('tags.csv', 'a,b\n')), /tags\.csv: a token task reads CoNLL files .* not \.csv/);
  });

  it('reads CoNLL-U: the word form and its UPOS tag, skipping comments, multiword ranges and empty nodes', async () => {
    const conllu = [
      '# newdoc id = d1',
      '# sent_id = 1',
      '# text = I haven\'t seen it.',
      ['1', 'I', 'I', 'PRON', 'PRP', '_', '3', 'nsubj', '_', '_'].join('\t'),
      ['2-3', "haven't", '_', '_', '_', '_', '_', '_', '_', '_'].join('\t'),
      ['2', 'have', 'have', 'AUX', 'VBP', '_', '4', 'aux', '_', '_'].join('\t'),
      ['3', "n't", 'not', 'PART', 'RB', '_', '4', 'advmod', '_', '_'].join('\t'),
      ['3.1', 'x', '_', '_', '_', '_', '_', '_', '_', '_'].join('\t'),
      ['4', 'seen', 'see', 'VERB', 'VBN', '_', '0', 'root', '_', 'SpaceAfter=No'].join('\t'),
      ['5', '.', '.', 'PUNCT', '.', '_', '4', 'punct', '_', '_'].join('\t'),
      '',
    ].join('\n');
    const source = await readTokenFile(write('ud.conllu', conllu));
    assert.deepEqual(source.issues, []);
    assert.deepEqual(source.sentences.map((s) => [s.tokens, s.tags]), [[['I', 'have', "n't", 'seen', '.'], ['PRON', 'AUX', 'PART', 'VERB', 'PUNCT']]]);
    // In plain CoNLL a "#" is a word like any other.
    const hashtag = await readTokenFile(write('tweets.conll', '#\tO\nfinetune\tB-PRODUCT\nrocks\tO\n'));
    assert.deepEqual(hashtag.sentences[0].tokens, ['#', 'finetune', 'rocks']);
  });

  it('reads a CoNLL-2003-shaped .txt or extensionless file as CoNLL, and prose .txt as plain text', async () => {
    const conll2003 = '-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\ncall NN I-NP O\n. . O O\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n';
    for (const name of ['train.txt', 'eng.train', 'valid']) {
      const source = await readTokenFile(write(name, conll2003));
      assert.deepEqual(source.sentences.map((s) => s.tags), [['B-ORG', 'O', 'B-MISC', 'O', 'O'], ['B-PER', 'I-PER']], name);
    }
    const prose = await readTokenFile(write('notes.txt', 'The auditor met Ana Ruiz in Madrid on Friday.\nShe asked for the March invoices.\n'));
    assert.deepEqual(prose.sentences.map((s) => s.tags), [null, null]);
  });
});

describe('tagger', () => {
  it('never decodes an I-X that does not follow B-X or I-X, whatever the token scores say', () => {
    const tags = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
    // Token scores that, read one by one, would give I-PER I-LOC I-LOC.
    const scores = [0.01, 0.2, 0.6, 0.09, 0.1, 0.01, 0.05, 0.1, 0.04, 0.8, 0.01, 0.05, 0.1, 0.04, 0.8].map(Math.log);
    const flat = Array.from({ length: tags.length + 1 }, () => new Array(tags.length).fill(0));
    const path = viterbi(scores, 3, tags, flat, 0, true).map((t) => tags[t]);
    path.forEach((tag, i) => assert.ok(allowedTransition(i === 0 ? '' : path[i - 1], tag), `${path.join(' ')} breaks IOB2 at ${i}`));
    assert.deepEqual(viterbi(scores, 3, tags, flat, 0, false).map((t) => tags[t]), ['I-PER', 'I-LOC', 'I-LOC']);
  });

  it('learns names and titles from real Brown sentences well above chance, and its output is always valid IOB2', async () => {
    const { train, test } = brownTagged();
    const every = (list: BrownSentence[], n: number) => list.filter((_, i) => i % Math.ceil(list.length / n) === 0);
    const trainSet = every(train, 700).map((s) => ({ tokens: s.tokens, tags: s.names, document: s.document }));
    const testSet = every(test, 300);
    const model = await trainTagger(trainSet);
    assert.equal(model.bio, true);
    assert.equal(model.selection.length, 18, 'every candidate measured on the development split');
    const predicted = tagSentences(model, testSet.map((s) => s.tokens)).map((p) => p.tags);
    for (const tags of predicted) tags.forEach((tag, i) => assert.ok(allowedTransition(i === 0 ? '' : tags[i - 1], tag)));
    const scores = entityScores(testSet.map((s) => s.names), predicted, { iterations: 0 });
    // Tagging each capitalised word after the first as a one-word NAME scores about 0.3 on these sentences.
    assert.ok(scores.micro.f1 > 0.55, `entity micro-F1 ${scores.micro.f1.toFixed(3)}`);
    assert.ok(scores.perType.TITLE.f1 > 0.3, `TITLE F1 ${scores.perType.TITLE.f1.toFixed(3)}`);
  });
});

describe('finetune train --task token / predict (CLI)', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');
  const finetune = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { cwd: dir }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });

  it('trains from CoNLL with a test file, reports entity F1, and predicts spans on new text', async () => {
    const { train, test } = brownTagged();
    const conll = (list: BrownSentence[]) => list.map((s) => s.tokens.map((t, i) => `${t}\t${s.names[i]}`).join('\n')).join('\n\n') + '\n';
    const trainFile = write('names-train.conll', conll(train.filter((_, i) => i % 40 === 0)));
    const testFile = write('names-test.conll', conll(test.filter((_, i) => i % 40 === 0)));
    const trained = await finetune('train', '--task', 'token', '--data', trainFile, '--test', testFile, '--out', 'tok');
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /Entity F1 0\.\d{3} micro \(95% interval .+\), 0\.\d{3} macro over types, on \d+ test sentences/);
    const metrics = JSON.parse(readFileSync(join(dir, 'tok', 'metrics.json'), 'utf8'));
    assert.deepEqual(Object.keys(metrics.entities.perType).sort(), ['NAME', 'TITLE']);
    assert.ok(metrics.tokens.per_class.O.support > 0);

    const input = write('new.jsonl', JSON.stringify({ text: 'Mayor William Hartsfield spoke to the Fulton County Grand Jury.' }) + '\n');
    const predicted = await finetune('predict', '--model', 'tok', '--data', input, '--out', 'spans.jsonl');
    assert.equal(predicted.code, 0, predicted.stderr);
    const [row] = readFileSync(join(dir, 'spans.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(row.spans.length > 0, JSON.stringify(row));
    for (const span of row.spans) assert.equal(row.text.slice(span.start, span.end), span.text);
  });

  it('says what is missing when the task has no data file', async () => {
    const result = await finetune('train', '--task', 'token', '--out', 'x');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /--task token trains from a file: give --data F\.conll/);
  });
});
