// What a training run is given and what it gives back: plain, structured-clone-safe data that crosses the worker
// boundary (worker-protocol.ts).
import type { EpochPoint } from '../../../shared/api.js';
import type { PredictionRow, RunMetrics, TaskKind, TrainSettings } from '../../../shared/domain.js';
import type { LoadEncoderOptions } from '../encoders/index.js';

export interface TrainExample {
  id: number | string;
  text: string;
  contentHash: string;
  labels: string[];
  /** Pair tasks: the second text (`text` is the first); contentHash is then pairContentHash(text, pair). */
  pair?: string;
  synthetic?: boolean;
  /** Synthetic examples: ids of the examples their text was made from (see the leakage guard in prepare()). */
  parents?: (number | string)[];
}

export interface TrainJob {
  task: TaskKind;
  /** Label order = output order. */
  labels: string[];
  /** Labeled data; split here unless `test` is given. */
  examples: TrainExample[];
  /** Explicit test set (CLI --test): then only train/val are split from examples. */
  test?: TrainExample[];
  settings: TrainSettings;
  /** 'use-lite' or 'hf:<folder>'. */
  encoder: string;
  /** Encoder options (window length, long-document mode); saved with the model so predict embeds the same way. */
  encoderOptions?: LoadEncoderOptions;
  /** Every example is a pair of texts (TrainExample.pair), featurized as in pairs.ts. */
  pairs?: boolean;
  /** The embedding cache SQLite file. */
  cacheFile: string;
  /** Where the trained model is written. */
  modelDir: string;
  /** Fine-tuning: go on from the last epoch kept in modelDir/checkpoint, when it belongs to this run. */
  resume?: boolean;
}

export interface TrainResult {
  metrics: RunMetrics;
  split: { seed: number; train: (number | string)[]; val: (number | string)[]; test: (number | string)[] };
  predictions: PredictionRow[];
  history: EpochPoint[];
  modelDir: string;
}

/** The run's result: the split as example ids (what the project records), beside the metrics and predictions. */
export function finishedRun(parts: { metrics: RunMetrics; seed: number; ids: (number | string)[]; split: { train: number[]; val: number[]; test: number[] }; predictions: PredictionRow[]; history: EpochPoint[]; modelDir: string }): TrainResult {
  const idsOf = (indices: number[]) => indices.map((i) => parts.ids[i]);
  return {
    metrics: parts.metrics,
    split: { seed: parts.seed, train: idsOf(parts.split.train), val: idsOf(parts.split.val), test: idsOf(parts.split.test) },
    predictions: parts.predictions,
    history: parts.history,
    modelDir: parts.modelDir,
  };
}
