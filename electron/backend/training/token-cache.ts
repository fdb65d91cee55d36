// Token ids for the lexical features, cached beside the embeddings (same SQLite file, own table), so a re-train
// with another strategy neither re-embeds nor re-tokenises: tokenising the SpamAssassin split takes over a minute.
import Database from 'better-sqlite3';
import type { TextEncoder } from '../encoders/types.js';
import { yieldToEventLoop } from '../event-loop.js';
import { throwIfAborted } from '../cancel.js';

const TOKENIZE_CHUNK = 64;
/** Characters tokenised between two yields: long e-mails made 64-document chunks block for seconds (≈100k tokens/s). */
const TOKENIZE_CHAR_BUDGET = 30_000;
const READ_SLICE = 500;

/** Full (unclipped) token ids of each text, as the encoder's tokenize() defines them (it copes with long texts). */
export async function tokenizeFull(encoder: TextEncoder, texts: string[]): Promise<Int32Array[]> {
  return (await encoder.tokenize(texts)).map((ids) => Int32Array.from(ids));
}

export class TokenCache {
  private constructor(private readonly db: Database.Database) {}

  static open(file: string): TokenCache {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS lexical_token_ids (
      encoder_id TEXT NOT NULL,
      content_hash TEXT NOT NULL,
      ids BLOB NOT NULL,
      PRIMARY KEY (encoder_id, content_hash)
    ) WITHOUT ROWID`);
    return new TokenCache(db);
  }

  get(encoderId: string, hashes: string[]): (Int32Array | null)[] {
    const select = this.db.prepare('SELECT ids FROM lexical_token_ids WHERE encoder_id = ? AND content_hash = ?').pluck();
    return hashes.map((hash) => {
      const blob = select.get(encoderId, hash) as Buffer | undefined;
      if (!blob) return null;
      const copy = new Uint8Array(blob); // aligned copy: the Buffer may sit at any offset of a shared pool
      return new Int32Array(copy.buffer, 0, copy.byteLength / 4);
    });
  }

  put(encoderId: string, hashes: string[], ids: Int32Array[]): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO lexical_token_ids (encoder_id, content_hash, ids) VALUES (?, ?, ?)');
    this.db.transaction(() => hashes.forEach((hash, i) => insert.run(encoderId, hash, Buffer.from(ids[i].buffer, ids[i].byteOffset, ids[i].byteLength))))();
  }

  close(): void {
    this.db.close();
  }
}

/** Full (unclipped) token ids of every item, from the cache or the encoder's tokenizer; honours the signal. */
export async function tokenizeWithCache(
  encoder: TextEncoder,
  cache: TokenCache,
  items: { text: string; contentHash: string }[],
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Int32Array[]> {
  // Read in slices too: a large corpus's id lists are tens of megabytes.
  const cached: (Int32Array | null)[] = [];
  for (let start = 0; start < items.length; start += READ_SLICE) {
    throwIfAborted(signal);
    cached.push(...cache.get(encoder.id, items.slice(start, start + READ_SLICE).map((item) => item.contentHash)));
    await yieldToEventLoop();
  }
  const missing = items.map((_, i) => i).filter((i) => !cached[i]);
  let done = items.length - missing.length;
  onProgress(done, items.length);
  for (let start = 0; start < missing.length; ) {
    throwIfAborted(signal);
    let end = start + 1;
    let chars = items[missing[start]].text.length;
    while (end < missing.length && end - start < TOKENIZE_CHUNK && chars + items[missing[end]].text.length <= TOKENIZE_CHAR_BUDGET) {
      chars += items[missing[end]].text.length;
      end++;
    }
    const chunk = missing.slice(start, end);
    start = end;
    const ids = await tokenizeFull(encoder, chunk.map((i) => items[i].text));
    cache.put(encoder.id, chunk.map((i) => items[i].contentHash), ids);
    chunk.forEach((i, j) => (cached[i] = ids[j]));
    done += chunk.length;
    onProgress(done, items.length);
    await yieldToEventLoop();
  }
  return cached as Int32Array[];
}
