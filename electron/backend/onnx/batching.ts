// Feeding token id lists to ONNX models: padded int64 batches with their attention mask, and texts of similar
// length batched together so little compute goes to padding. Shared by the hf encoder and the export's predictor.
import { throwIfAborted } from '../cancel.js';

export interface PaddedBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** [rows, longest row (at least 1)] */
  dims: [number, number];
}

/** Right-pads every row with padId to the longest row; the mask is 1 on real ids, 0 on padding. */
export function padBatch(rows: number[][], padId: number): PaddedBatch {
  const seq = Math.max(1, ...rows.map((row) => row.length));
  const inputIds = new BigInt64Array(rows.length * seq).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(rows.length * seq);
  rows.forEach((row, r) => row.forEach((id, t) => {
    inputIds[r * seq + t] = BigInt(id);
    attentionMask[r * seq + t] = 1n;
  }));
  return { inputIds, attentionMask, dims: [rows.length, seq] };
}

/**
 * Runs `run` on batches of at most batchSize id lists, shortest first, and returns its results in input order.
 * Checks the signal between batches and reports progress after each.
 */
export async function inLengthBatches<T>(
  ids: number[][],
  batchSize: number,
  run: (batch: number[][]) => Promise<T[]>,
  onProgress?: (p: { done: number; total: number }) => void,
  signal?: AbortSignal,
): Promise<T[]> {
  const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length);
  const results: T[] = new Array(ids.length);
  for (let start = 0; start < order.length; start += batchSize) {
    throwIfAborted(signal);
    const batch = order.slice(start, start + batchSize);
    const out = await run(batch.map((i) => ids[i]));
    batch.forEach((i, k) => { results[i] = out[k]; });
    onProgress?.({ done: Math.min(start + batchSize, order.length), total: order.length });
  }
  return results;
}
