// The end of every fine-tuning epoch, kept on disk so that an interrupted run (closed, crashed, cancelled) can go
// on from there: the weights that learn, the best epoch's weights, AdamW's moments and step, the history and the
// counters that seed dropout. Resuming replays the data order of the finished epochs, so a resumed run ends with
// the weights an uninterrupted one would have. A checkpoint of another run (other data or settings) is ignored.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { EpochRecord } from './fine-tune.js';
import { readSafetensors, writeSafetensors, type TensorMap } from './safetensors.js';

/** Inside the model folder: the last finished epoch, until the run has ended. */
export const CHECKPOINT_DIR = 'checkpoint';
const STATE_FILE = 'state.json';
const TENSORS_FILE = 'tensors.safetensors';

export interface TrainingState {
  fingerprint: string;
  /** The last finished epoch. */
  epoch: number;
  history: EpochRecord[];
  best: { epoch: number; score: number };
  microBatches: number;
  stepSeconds: number;
  optimizer: { step: number; moments: Array<{ m: Float32Array; v: Float32Array }> };
  weights: Float32Array[];
  bestWeights: Float32Array[] | null;
}

/** What must match for a checkpoint to continue this run: the data, its order's seed and the recipe. */
export function trainingFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export async function saveCheckpoint(dir: string, state: TrainingState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors: TensorMap = new Map();
  const put = (name: string, data: Float32Array) => tensors.set(name, { shape: [data.length], data });
  state.weights.forEach((w, i) => put(`weight.${i}`, w));
  state.bestWeights?.forEach((w, i) => put(`best.${i}`, w));
  state.optimizer.moments.forEach(({ m, v }, i) => {
    put(`m.${i}`, m);
    put(`v.${i}`, v);
  });
  // Written aside, then renamed: a crash while saving leaves the previous epoch's checkpoint whole.
  await writeSafetensors(path.join(dir, `${TENSORS_FILE}.partial`), tensors);
  const { weights: _w, bestWeights, optimizer, ...rest } = state;
  await writeFile(path.join(dir, `${STATE_FILE}.partial`), JSON.stringify({ ...rest, hasBest: bestWeights !== null, optimizerStep: optimizer.step, groups: state.weights.length }));
  await rename(path.join(dir, `${TENSORS_FILE}.partial`), path.join(dir, TENSORS_FILE));
  await rename(path.join(dir, `${STATE_FILE}.partial`), path.join(dir, STATE_FILE));
}

/** The checkpoint in `dir` for these variables and this fingerprint, or the reason there is none to resume. */
export async function loadCheckpoint(dir: string, variables: tfTypes.Variable[], fingerprint: string): Promise<TrainingState | string> {
  const stateFile = path.join(dir, STATE_FILE);
  if (!existsSync(stateFile)) return `no checkpoint in ${dir}`;
  const saved = JSON.parse(await readFile(stateFile, 'utf8')) as Omit<TrainingState, 'weights' | 'bestWeights' | 'optimizer'> & { hasBest: boolean; optimizerStep: number; groups: number };
  if (saved.fingerprint !== fingerprint) return `the checkpoint in ${dir} belongs to other data or settings`;
  if (saved.groups !== variables.length) return `the checkpoint in ${dir} holds ${saved.groups} weights, this model trains ${variables.length}`;
  const tensors = await readSafetensors(path.join(dir, TENSORS_FILE));
  const get = (name: string, size: number): Float32Array => {
    const t = tensors.get(name);
    if (!t || t.data.length !== size) throw new Error(`${path.join(dir, TENSORS_FILE)}: ${name} is missing or of another size`);
    return t.data;
  };
  return {
    fingerprint: saved.fingerprint,
    epoch: saved.epoch,
    history: saved.history,
    best: saved.best,
    microBatches: saved.microBatches,
    stepSeconds: saved.stepSeconds,
    weights: variables.map((v, i) => get(`weight.${i}`, v.size)),
    bestWeights: saved.hasBest ? variables.map((v, i) => get(`best.${i}`, v.size)) : null,
    optimizer: { step: saved.optimizerStep, moments: variables.map((v, i) => ({ m: get(`m.${i}`, v.size), v: get(`v.${i}`, v.size) })) },
  };
}

/** The last finished epoch kept in `dir`, or null when there is none (a cheap read of its state file). */
export function checkpointEpoch(dir: string): number | null {
  try {
    const { epoch } = JSON.parse(readFileSync(path.join(dir, STATE_FILE), 'utf8')) as { epoch?: unknown };
    return typeof epoch === 'number' ? epoch : null;
  } catch {
    return null;
  }
}

export async function removeCheckpoint(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
