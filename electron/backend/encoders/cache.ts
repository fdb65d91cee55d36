// The embedding cache: one SQLite file of its own, opened only by the training worker process, keyed by
// (encoder id, content hash), so re-training with another strategy never re-embeds a document.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { EmbedProgress, TextEncoder } from './types.js';

const SCHEMA_VERSION = 1;
/** SQLite's default limit on bound parameters is 32766; stay far below it. */
const LOOKUP_CHUNK = 500;
/** Misses are embedded and stored this many at a time, so a cancelled run keeps what it already paid for. */
const EMBED_CHUNK = 256;

export class EmbeddingCache {
  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {}

  static open(file: string): EmbeddingCache {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    } catch (err) {
      db?.close(); // a file that is not a database opens fine and fails on the first pragma
      throw new Error(`${file}: cannot open the embedding cache: ${(err as Error).message}`);
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new Error(`${file}: embedding cache version ${version} is newer than this app understands (${SCHEMA_VERSION}); delete the file to rebuild it`);
    }
    if (version < SCHEMA_VERSION) {
      db.transaction(() => {
        db.exec(`CREATE TABLE IF NOT EXISTS embeddings (
          encoder_id TEXT NOT NULL,
          content_hash TEXT NOT NULL,
          vector BLOB NOT NULL,
          PRIMARY KEY (encoder_id, content_hash)
        ) WITHOUT ROWID`);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    }
    return new EmbeddingCache(db, file);
  }

  /** One entry per hash, in order: the stored vector, or null when this encoder has not embedded that content. */
  get(encoderId: string, hashes: string[]): (Float32Array | null)[] {
    const found = new Map<string, Float32Array>();
    for (let start = 0; start < hashes.length; start += LOOKUP_CHUNK) {
      const chunk = hashes.slice(start, start + LOOKUP_CHUNK);
      const rows = this.db
        .prepare(`SELECT content_hash, vector FROM embeddings WHERE encoder_id = ? AND content_hash IN (${chunk.map(() => '?').join(',')})`)
        .all(encoderId, ...chunk) as { content_hash: string; vector: Buffer }[];
      for (const row of rows) found.set(row.content_hash, bufferToVector(row.vector));
    }
    return hashes.map((hash) => found.get(hash) ?? null);
  }

  put(encoderId: string, hashes: string[], vectors: Float32Array[]): void {
    if (hashes.length !== vectors.length) {
      throw new Error(`${this.file}: ${hashes.length} hashes but ${vectors.length} vectors to store`);
    }
    const insert = this.db.prepare('INSERT OR REPLACE INTO embeddings (encoder_id, content_hash, vector) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      hashes.forEach((hash, i) => insert.run(encoderId, hash, Buffer.from(vectors[i].buffer, vectors[i].byteOffset, vectors[i].byteLength)));
    })();
  }

  close(): void {
    this.db.close();
  }
}

function bufferToVector(blob: Buffer): Float32Array {
  // Copy: the Buffer may sit at an offset that is not a multiple of 4 inside a shared pool.
  const copy = new Uint8Array(blob);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

/**
 * Vectors for every item, in order: cached ones read back, the misses (each distinct content once) embedded in
 * chunks and stored as they come. Progress counts cached items as done from the start.
 */
export async function embedWithCache(
  encoder: TextEncoder,
  cache: EmbeddingCache,
  items: { text: string; contentHash: string }[],
  onProgress?: (p: EmbedProgress) => void,
  signal?: AbortSignal,
): Promise<Float32Array[]> {
  const cached = cache.get(encoder.id, items.map((item) => item.contentHash));
  const missing = new Map<string, string>(); // content hash → text
  items.forEach((item, i) => {
    if (!cached[i]) missing.set(item.contentHash, item.text);
  });
  const computed = new Map<string, Float32Array>();
  const hits = items.length - items.filter((_, i) => !cached[i]).length;
  const missHashes = [...missing.keys()];
  const total = items.length;
  const doneFor = (embeddedDistinct: number) => hits + Math.round(((total - hits) * embeddedDistinct) / Math.max(1, missHashes.length));
  onProgress?.({ done: hits, total });

  for (let start = 0; start < missHashes.length; start += EMBED_CHUNK) {
    signal?.throwIfAborted();
    const hashes = missHashes.slice(start, start + EMBED_CHUNK);
    const vectors = await encoder.embed(
      hashes.map((hash) => missing.get(hash)!),
      (p) => onProgress?.({ done: doneFor(start + p.done), total }),
      signal,
    );
    cache.put(encoder.id, hashes, vectors);
    hashes.forEach((hash, i) => computed.set(hash, vectors[i]));
  }
  onProgress?.({ done: total, total });
  return items.map((item, i) => cached[i] ?? computed.get(item.contentHash)!);
}
