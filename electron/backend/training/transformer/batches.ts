// Batches of token ids for the transformer: padded to the longest member, with texts of similar length together
// (so padding, which costs as much compute as text, stays small and memory is bounded by the batch's real length).
import type { TfRuntime } from '../../tf/backend.js';
import type { EncodedBatch } from './trainable.js';

export function toBatch(tf: TfRuntime['tf'], sequences: number[][], padId: number): EncodedBatch {
  const longest = Math.max(1, ...sequences.map((s) => s.length));
  const ids = new Int32Array(sequences.length * longest).fill(padId);
  const mask = new Float32Array(sequences.length * longest);
  sequences.forEach((sequence, row) => {
    ids.set(sequence, row * longest);
    mask.fill(1, row * longest, row * longest + sequence.length);
  });
  return {
    ids: tf.tensor2d(ids, [sequences.length, longest], 'int32'),
    mask: tf.tensor2d(mask, [sequences.length, longest]),
  };
}

export function disposeBatch(batch: EncodedBatch): void {
  batch.ids.dispose();
  batch.mask.dispose();
  batch.types?.dispose();
}

/**
 * Splits `order` (example indices, already shuffled) into batches of `size`: each window of 50 batches is sorted
 * by length and cut, then the batches are shuffled, so an epoch still visits examples in a random order.
 */
export function lengthBucketedBatches(order: number[], lengths: number[], size: number, rng: () => number): number[][] {
  const window = size * 50;
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += window) {
    const chunk = order.slice(start, start + window).sort((a, b) => lengths[a] - lengths[b]);
    for (let i = 0; i < chunk.length; i += size) batches.push(chunk.slice(i, i + size));
  }
  for (let i = batches.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [batches[i], batches[j]] = [batches[j], batches[i]];
  }
  return batches;
}

/** Batches in input order, each sorted by length inside a window, for scoring (the caller restores the order). */
export function scoringBatches(lengths: number[], size: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += size) batches.push(order.slice(i, i + size));
  return batches;
}
