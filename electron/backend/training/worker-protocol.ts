// Messages between the project's owner process and the model worker (electron/worker/model-worker.ts), which
// trains, searches strategies, predicts and exports.
// Every payload is structured-clone-safe plain data: it crosses an Electron utilityProcess port or a Node IPC
// channel opened with serialization 'advanced'.
import type { FineTuneEstimate, PredictionRow, RunMetrics, StrategySearchReport, TrainProgress } from '../../../shared/domain.js';
import type { TrainJob, TrainResult } from './job.js';
import type { TaggedSentence, TaggerModel } from './tagger/tagger.js';

export type ToWorker =
  | { type: 'train'; job: TrainJob }
  /** The strategy search alone on the job's training split (no model is written). */
  | { type: 'search'; job: TrainJob }
  /** Which given labels look wrong (out-of-fold confident learning; no model is written). */
  | { type: 'labelIssues'; job: TrainJob }
  /** A token tagger trained on tagged sentences (token tasks). */
  /** encoder: a Hugging Face folder whose token states the tagger reads too; lexical false: those states alone. */
  | { type: 'tagger'; sentences: TaggedSentence[]; seed: number; encoder?: string; lexical?: boolean }
  /** Times fine-tuning steps at job.settings.depth on the job's documents (nothing is trained or written). */
  | { type: 'estimate'; job: TrainJob }
  /** pairs: a sentence-pair model's second texts, one per text. */
  | { type: 'predict'; requestId: number; modelDir: string; texts: string[]; pairs?: string[] }
  /** ONNX export, then the export compared with the app on checkTexts (none: no comparison). */
  | { type: 'export'; requestId: number; modelDir: string; outDir: string; quantize?: boolean; metrics?: RunMetrics; checkTexts: string[] }
  | { type: 'cancel' };

export interface LabelIssuesReport {
  documents: number;
  issues: Array<{ id: number | string; given: string; suggested: string; score: number }>;
}

export interface ExportOutcome {
  outDir: string;
  check?: { documents: number; sameLabels: number; maxAbsDiff: number };
}

export type FromWorker =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'result'; result: TrainResult }
  | { type: 'searched'; report: StrategySearchReport }
  | { type: 'labelIssues'; report: LabelIssuesReport }
  | { type: 'tagger'; model: TaggerModel }
  | { type: 'estimated'; estimate: FineTuneEstimate }
  | { type: 'predictions'; requestId: number; rows: PredictionRow[] }
  | { type: 'exportProgress'; requestId: number; message: string }
  | { type: 'exported'; requestId: number; outcome: ExportOutcome }
  /** requestId: set when the error answers a 'predict' or 'export' request. */
  | { type: 'error'; message: string; name?: string; stack?: string; requestId?: number }
  | { type: 'cancelled' };
