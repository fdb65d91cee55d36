// The embedding cache: only misses are embedded, vectors survive a reopen, each encoder id has its own entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddingCache, embedWithCache } from '../electron/backend/encoders/cache.js';
import { loadEncoder } from '../electron/backend/encoders/index.js';
import type { TextEncoder } from '../electron/backend/encoders/types.js';

/** The real encoder, recording which texts it was asked to embed. */
function counting(encoder: TextEncoder, id = encoder.id): TextEncoder & { asked: string[] } {
  const asked: string[] = [];
  return {
    id, dim: encoder.dim, backend: encoder.backend, asked,
    tokenize: (texts) => encoder.tokenize(texts),
    embed: (texts, onProgress, signal) => {
      asked.push(...texts);
      return encoder.embed(texts, onProgress, signal);
    },
    dispose: () => encoder.dispose(),
  };
}

const item = (text: string) => ({ text, contentHash: `h:${text}` });

test('embedWithCache embeds only misses, once per content, and the vectors persist', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'encoder-cache-'));
  const file = path.join(dir, 'nested', 'embeddings.sqlite');
  try {
    const real = await loadEncoder('use-lite');
    const encoder = counting(real);
    const direct = await real.embed(['alpha', 'beta', 'gamma', 'delta']);

    let cache = EmbeddingCache.open(file);
    const progress: number[] = [];
    const first = await embedWithCache(encoder, cache, ['alpha', 'beta', 'alpha', 'gamma'].map(item), (p) => progress.push(p.done));
    assert.deepEqual(encoder.asked.sort(), ['alpha', 'beta', 'gamma']);
    assert.equal(progress.at(-1), 4);
    for (const [i, k] of [0, 1, 0, 2].entries()) assert.deepEqual(Array.from(first[i]), Array.from(direct[k]));
    cache.close();

    cache = EmbeddingCache.open(file);
    encoder.asked.length = 0;
    const second = await embedWithCache(encoder, cache, ['gamma', 'delta', 'beta'].map(item));
    assert.deepEqual(encoder.asked, ['delta']);
    assert.deepEqual(Array.from(second[0]), Array.from(direct[2]));
    assert.deepEqual(Array.from(second[1]), Array.from(direct[3]));

    const other = counting(real, 'another-encoder');
    await embedWithCache(other, cache, ['alpha'].map(item));
    assert.deepEqual(other.asked, ['alpha'], 'another encoder id must not see these vectors');
    assert.deepEqual(cache.get(encoder.id, ['h:alpha', 'h:nothing']).map((v) => v?.length ?? null), [512, null]);

    const controller = new AbortController();
    controller.abort();
    await assert.rejects(() => embedWithCache(encoder, cache, [item('epsilon')], undefined, controller.signal), { name: 'AbortError' });
    assert.deepEqual(cache.get(encoder.id, ['h:epsilon']), [null]);
    assert.throws(() => cache.put(encoder.id, ['a', 'b'], [direct[0]]), /2 hashes but 1 vectors/);
    cache.close();

    const raw = new Database(file);
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.pragma('user_version = 99');
    raw.close();
    assert.throws(() => EmbeddingCache.open(file), /newer than this app/);
    await real.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
