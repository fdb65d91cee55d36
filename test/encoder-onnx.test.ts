// USE-lite as an ONNX graph: same vectors as the tfjs GraphModel, and the long-document rules inside the graph
// give what the app computes from its own windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { loadEncoder } from '../electron/backend/encoders/index.js';
import type { LongDocMode } from '../electron/backend/encoders/long-docs.js';
import { loadUseLiteTokenizer } from '../electron/backend/encoders/tokenizer.js';
import { useLiteOnnxModelBytes } from '../electron/backend/encoders/use-lite-onnx.js';
import { loadSpamAssassin } from './fixtures/corpora.js';

function maxAbsDiff(a: Float32Array[], b: ArrayLike<number>[]): number {
  let worst = 0;
  a.forEach((row, r) => row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[r][j])))));
  return worst;
}

/** A session over the stand-alone encoder graph, fed full (unclipped) ids padded on the right. */
async function runGraph(opts: { maxTokens: number; longDocs: LongDocMode }, idLists: number[][]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(useLiteOnnxModelBytes(opts), { intraOpNumThreads: 2 });
  try {
    const width = Math.max(...idLists.map((ids) => ids.length));
    const ids = new BigInt64Array(idLists.length * width);
    const mask = new BigInt64Array(idLists.length * width);
    idLists.forEach((row, r) => row.forEach((id, c) => ((ids[r * width + c] = BigInt(id)), (mask[r * width + c] = 1n))));
    const dims = [idLists.length, width];
    const out = await session.run({ input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims) });
    const flat = out.embeddings.data as Float32Array;
    return idLists.map((_, r) => flat.slice(r * 512, (r + 1) * 512));
  } finally {
    await session.release();
  }
}

const emails = loadSpamAssassin()
  .all.filter((_, i) => i % 97 === 0)
  .slice(0, 40)
  .map((d) => d.text);

test('onnx and tfjs backends give the same vectors (max |Δ| ≤ 1e-4) and the same id', async () => {
  const viaOnnx = await loadEncoder('use-lite', { backend: 'onnx' });
  const viaTfjs = await loadEncoder('use-lite', { backend: 'tfjs' });
  assert.equal(viaOnnx.backend, 'onnxruntime-cpu');
  assert.equal(viaOnnx.id, viaTfjs.id);
  const texts = [...emails, '', 'a', 'unknown ☃ symbols ☃☃ here'];
  const diff = maxAbsDiff(await viaOnnx.embed(texts), await viaTfjs.embed(texts));
  assert.ok(diff <= 1e-4, `max |Δ| ${diff}`);
  await Promise.all([viaOnnx.dispose(), viaTfjs.dispose()]);
});

test('long-document rules inside the graph equal the app’s windows, for every mode', async () => {
  const tokenizer = await loadUseLiteTokenizer();
  const texts = [...emails.slice(0, 12), 'short one', '', ' \n '];
  const fullIds = texts.map((t) => tokenizer.encode(t));
  assert.ok(fullIds.some((ids) => ids.length > 128 * 8), 'needs a text longer than every mode reads');
  for (const longDocs of ['truncate', 'head_tail', 'chunk_mean'] as const) {
    for (const maxTokens of [128, 40]) {
      const app = await loadEncoder('use-lite', { backend: 'onnx', longDocs, maxTokens });
      const diff = maxAbsDiff(await runGraph({ maxTokens, longDocs }, fullIds), await app.embed(texts));
      assert.ok(diff <= 1e-4, `${longDocs}/${maxTokens}: max |Δ| ${diff}`);
      await app.dispose();
    }
  }
  const onlyEmpty = await loadEncoder('use-lite', { backend: 'onnx' });
  const diff = maxAbsDiff(await runGraph({ maxTokens: 128, longDocs: 'truncate' }, [[], []]), await onlyEmpty.embed(['', '']));
  assert.ok(diff <= 1e-4, `a batch of empty texts (sequence length 0): max |Δ| ${diff}`);
});
