// The real-corpus fixtures: the counts other helpers' tests and benches rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import {
  brownMultiLabel,
  loadSpamAssassin,
  spamAssassinExtremeImbalance,
  stripHeaders,
  untagBrown,
  winkIntents,
  winkSentiment,
  writeSpamAssassinFolder,
} from './fixtures/corpora.js';

const countLabels = (xs: { label: string }[]) =>
  xs.reduce<Record<string, number>>((m, x) => ((m[x.label] = (m[x.label] ?? 0) + 1), m), {});

test('SpamAssassin: 171 duplicate bodies dropped and the documented train / test counts', () => {
  const corpus = loadSpamAssassin();
  assert.equal(corpus.duplicates.length, 171);
  assert.equal(corpus.all.length, 6046 - 171);
  // easy-ham-1 2500 - 28 dups, spam-1 500 - 29, hard-ham-1 250 -> 188 train / 62 test (every 4th by id).
  assert.deepEqual(countLabels(corpus.train), { ham: 2472, hard_ham: 188, spam: 471 });
  // easy-ham-2 1400 - 10 dups, spam-2 1396 - 104 (one of them repeats a spam-1 body).
  assert.deepEqual(countLabels(corpus.test), { ham: 1390, hard_ham: 62, spam: 1292 });
  const trainBodies = new Set(corpus.train.map((e) => e.text));
  assert.equal(corpus.test.filter((e) => trainBodies.has(e.text)).length, 0, 'no exact body in both train and test');
});

test('SpamAssassin: headers are stripped, so list names and spam scores cannot leak the label', () => {
  const { all } = loadSpamAssassin();
  const leaking = all.filter((e) => /^(Return-Path|Received|X-Spam-Status|Delivered-To):/m.test(e.text.slice(0, 200)));
  // Only 3 bodies show header lines near the top: two forwarded messages and one spam that quotes a whole mail.
  assert.equal(leaking.length, 3, `${leaking.length} bodies show header lines`);
  assert.equal(stripHeaders('Subject: hi\r\nFrom: a@b\r\n\r\nbody\n\nmore'), 'body\n\nmore');
  assert.equal(stripHeaders('only headers'), '');
});

test('SpamAssassin extreme imbalance: spam is 1% of training, deterministic per seed', () => {
  const a = spamAssassinExtremeImbalance(0);
  const counts = countLabels(a.train);
  // (2472 + 188) / 99 = 26.9 -> 27 spam; 27 / 2687 = 1.0%.
  assert.deepEqual(counts, { ham: 2472, hard_ham: 188, spam: 27 });
  assert.equal(a.test.length, 2744);
  assert.deepEqual(spamAssassinExtremeImbalance(0).train.map((e) => e.id), a.train.map((e) => e.id));
  assert.notDeepEqual(spamAssassinExtremeImbalance(1).train.map((e) => e.group + e.id), a.train.map((e) => e.group + e.id));
});

test('SpamAssassin folder export: raw .eml files with headers under <label>/<group>-<id>.eml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'finetune-corpora-'));
  try {
    const files = writeSpamAssassinFolder(dir, { split: 'test', perLabel: 2 });
    assert.deepEqual(files.map((f) => relative(dir, f).split(sep).join('/')).sort(), [
      'ham/easy-ham-2-00001.eml', 'ham/easy-ham-2-00002.eml',
      'hard_ham/hard-ham-1-00004.eml', 'hard_ham/hard-ham-1-00008.eml',
      'spam/spam-2-00001.eml', 'spam/spam-2-00002.eml',
    ]);
    const raw = readFileSync(files[0], 'utf8');
    assert.match(raw, /^Return-Path:|^From /m, 'headers kept');
    const withDuplicates = writeSpamAssassinFolder(join(dir, 'dups'), { split: 'train', includeDuplicates: true });
    // 3131 kept training messages plus the 28 + 29 duplicates of easy-ham-1 and spam-1.
    assert.equal(withDuplicates.length, 3131 + 57);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Brown multi-label: genre passages and two-genre pairs, files never shared between train and test', () => {
  const { labels, train, test: testSet } = brownMultiLabel();
  assert.equal(labels.length, 15);
  assert.deepEqual(labels.slice(0, 3), ['adventure', 'belles_lettres', 'editorial']);
  // 375 training files and 125 test files, 3 passages each: 1125 and 375 passages, some joined into pairs.
  const passages = (xs: typeof train) => xs.reduce((n, e) => n + e.labels.length, 0);
  assert.equal(passages(train), 1125);
  assert.equal(passages(testSet), 375);
  const pairs = train.filter((e) => e.labels.length === 2);
  assert.ok(pairs.length > 200, `${pairs.length} two-genre examples`);
  assert.ok(pairs.every((e) => e.labels[0] < e.labels[1]), 'pairs carry two different, sorted genres');
  const filesOf = (xs: typeof train) => new Set(xs.flatMap((e) => e.group.split('+')));
  const trainFiles = filesOf(train);
  assert.ok([...filesOf(testSet)].every((f) => !trainFiles.has(f)));
  assert.ok(!/\/[a-z]/.test(train[0].text), 'POS tags are stripped');
  assert.deepEqual(brownMultiLabel().train.map((e) => e.id), train.map((e) => e.id), 'deterministic');
  assert.equal(untagBrown("``/`` Yes/rb ,/, he/pps said/vbd ''/'' ./."), '"Yes, he said".');
});

test('wink corpora: chatbot intents split by their training flag, balanced sentiment', () => {
  const intents = winkIntents();
  assert.deepEqual(intents.labels, ['DepartureTime', 'FindConnection']);
  assert.deepEqual(countLabels(intents.train), { FindConnection: 57, DepartureTime: 43 });
  assert.deepEqual(countLabels(intents.test), { FindConnection: 71, DepartureTime: 35 });
  assert.deepEqual(countLabels(winkSentiment()), { positive: 500, negative: 500 });
});
