import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadHfEncoder, resolveHfEncoderSettings } from '../electron/backend/encoders/hf.js';
import { TINY_BERT, writeTinyBert } from './fixtures/tiny-bert.js';

const root = mkdtempSync(path.join(tmpdir(), 'hf-encoder-'));
after(() => rmSync(root, { recursive: true, force: true }));
const texts = [
  'The jury said the election was conducted fairly.',
  'Free money!!! Click here now',
  'a',
  'The county would have to pay for the new school building within two years of the vote.',
];

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
}

test('a tiny BERT folder loads offline, tokenizes with WordPiece and embeds deterministically', async () => {
  const folder = await writeTinyBert(path.join(root, 'mean'));
  const encoder = await loadHfEncoder(folder, { batchSize: 2 });
  try {
    assert.equal(encoder.dim, TINY_BERT.hidden);
    assert.match(encoder.id, /^hf:mean:[0-9a-f]{16}$/);
    assert.equal(encoder.settings.pooling, 'mean');
    assert.equal(encoder.settings.poolingSource, 'default (mean)');
    const [ids] = await encoder.tokenize(['The jury said xyzzy.']);
    assert.ok(!ids.includes(2) && !ids.includes(3), `tokenize gives the text's own ids, without [CLS]/[SEP]: ${ids}`);
    assert.ok(!ids.includes(1), `real words and letter pieces never become [UNK]: ${ids}`);
    assert.ok(ids.length > 5, 'the unknown word is split into WordPiece pieces');
    // So a long text tokenised in pieces cut at spaces gives the ids of the whole text.
    const [whole, left, right] = await encoder.tokenize(['The jury said it. Free money', 'The jury said it.', 'Free money']);
    assert.deepEqual(whole, [...left, ...right]);

    const progress: number[] = [];
    const first = await encoder.embed(texts, (p) => progress.push(p.done));
    assert.deepEqual(progress, [2, 4]);
    assert.equal(first.length, texts.length);
    for (const v of first) assert.ok(v.every(Number.isFinite) && v.some((x) => x !== 0));
    assert.ok(cosine(first[0], first[1]) < 0.999, 'different texts give different vectors');
    const again = await encoder.embed([...texts].reverse());
    again.reverse().forEach((v, i) => assert.deepEqual(Array.from(v), Array.from(first[i])));

    // Padding must not change a text's vector: 'a' alone vs. batched with a long text (padded to its length).
    const [alone] = await encoder.embed(['a']);
    const maxDiff = Math.max(...Array.from(alone, (x, i) => Math.abs(x - first[2][i])));
    assert.ok(maxDiff < 1e-5, `padding changed the vector by ${maxDiff}`);

    // A long text is embedded from a tokenised prefix: the same vector as a shorter text with the same first 128 ids.
    const long = Array.from({ length: 120 }, () => texts[3]).join(' ');
    const [fromPrefix, fromWhole] = await encoder.embed([long, long.slice(0, 1000)]);
    assert.ok(long.length > 2 * 128 * 12 && (await encoder.tokenize([long.slice(0, 1000)]))[0].length > 140);
    assert.deepEqual(Array.from(fromPrefix), Array.from(fromWhole));
  } finally {
    await encoder.dispose();
  }
});

test('pooling and normalisation follow the sentence-transformers files; long texts are clipped', async () => {
  const folder = await writeTinyBert(path.join(root, 'cls'), { pooling: 'cls', normalize: true });
  const settings = await resolveHfEncoderSettings(folder, { maxLength: 16 });
  assert.equal(settings.pooling, 'cls');
  assert.equal(settings.poolingSource, '1_Pooling/config.json');
  assert.equal(settings.normalize, true);
  assert.equal(settings.maxLength, 16);
  const encoder = await loadHfEncoder(folder, { maxLength: 16 });
  try {
    const long = 'the jury said '.repeat(40);
    const [ids] = await encoder.tokenize([long]);
    assert.ok(ids.length > 100, 'tokenize returns the ids before clipping');
    const [v, vClippedText] = await encoder.embed([long, 'the jury said '.repeat(5)]);
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-5, `normalised, norm ${norm}`);
    // Both texts share their first 16 ids ([CLS] + 15 tokens), so the clipped CLS vectors agree.
    assert.ok(cosine(v, vClippedText) > 0.99999);
  } finally {
    await encoder.dispose();
  }
  await assert.rejects(resolveHfEncoderSettings(path.join(root, 'missing')), /config\.json is missing/);
});
