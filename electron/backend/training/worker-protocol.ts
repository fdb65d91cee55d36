// Messages between the project's owner process and the training worker (electron/worker/training-worker.ts).
// Every payload is structured-clone-safe plain data: it crosses an Electron utilityProcess port or a Node IPC
// channel opened with serialization 'advanced'.
import type { PredictionRow, TrainProgress } from '../../../shared/domain.js';
import type { TrainJob, TrainResult } from './trainer.js';

export type ToWorker =
  | { type: 'train'; job: TrainJob }
  | { type: 'predict'; requestId: number; modelDir: string; texts: string[] }
  | { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'result'; result: TrainResult }
  | { type: 'predictions'; requestId: number; rows: PredictionRow[] }
  /** requestId: set when the error answers a 'predict' request. */
  | { type: 'error'; message: string; stack?: string; requestId?: number }
  | { type: 'cancelled' };
