// The API's types: the request channels come from the one table in contract.ts (argument schema, result, writes);
// the events and the shapes results use are declared here. The Electron preload exposes exactly this API over IPC;
// the browser host serves the same over a WebSocket. Arguments and results are structured-clone-safe data.
import type { RequestArg, RequestChannel, RequestResult } from './contract.js';
import type { DocumentInfo, RunSummary, SyntheticProvenance, TrainProgress } from './domain.js';

export { REQUEST_CHANNELS, type RequestArg, type RequestChannel, type RequestResult } from './contract.js';

/** 'labels:issues': labeled documents whose label looks wrong, most suspicious first. */
export interface LabelIssuesResult {
  /** Labeled documents checked. */
  documents: number;
  issues: Array<{ document: DocumentInfo; given: string; suggested: string; score: number }>;
}

/** 'suggest:next': unlabeled documents worth labeling next, most useful first. */
export interface LabelNextResult {
  runId: number;
  /** Unlabeled documents the model read. */
  unlabeled: number;
  suggestions: Array<{ document: DocumentInfo; reason: string; score: number; probabilities: Record<string, number> }>;
}

export interface RecentProject {
  path: string;
  name: string;
  openedAt: string;
}

/** One epoch of a run's training curve. */
export interface EpochPoint {
  epoch: number;
  loss: number;
  valMacroF1: number;
}

/** The training run in progress, so a reloaded page can show it again. */
export interface ActiveRun {
  runId: number;
  startedAt: string;
  /** Latest progress event, null until the worker sent one. */
  progress: TrainProgress | null;
  /** Epochs finished so far (loss and validation macro-F1), for the live chart. */
  history: EpochPoint[];
  /** OS process id of the training process, when known (lets a user end a stuck run by hand). */
  workerPid: number | null;
}

export interface ImportPreview {
  file: string;
  format: 'csv' | 'tsv' | 'jsonl' | 'folder' | 'file';
  columns: string[];
  rows: Record<string, string>[];
  suggestedTextCol: string | null;
  suggestedLabelCol: string | null;
  /** What the preview found wrong beyond its rows (an unterminated quote, say), in words, without the file's path. */
  warnings?: string[];
}

/** A synthetic minority example awaiting (or past) review, with the start of each document it was made from. */
export interface SyntheticExample extends DocumentInfo {
  synthetic: SyntheticProvenance;
  parentSnippets: Array<{ id: number; snippet: string }>;
}

/** Events pushed from the backend to the UI. */
export interface EventChannels {
  'train:progress': TrainProgress;
  'train:finished': { runId: number; status: RunSummary['status']; error: string | null };
  'import:progress': { file: string; done: number; total: number | null };
  /** One step of an ONNX export ('building the ONNX graph', ...), as it starts. */
  'export:progress': { runId: number; message: string };
  /** The strategy search's progress ('strategies:search'). */
  'strategies:progress': TrainProgress;
  /** The label check's progress ('labels:issues'). */
  'labels:issuesProgress': TrainProgress;
}

export type EventChannel = keyof EventChannels;

/** The object the preload exposes as window.finetune, and the browser host client implements. */
export interface FinetuneApi {
  invoke<C extends RequestChannel>(channel: C, arg: RequestArg<C>): Promise<RequestResult<C>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventChannels[E]) => void): () => void;
}

/** Written as a Record so the compiler proves it names every event exactly once. */
const eventChannelSet: Record<EventChannel, true> = { 'train:progress': true, 'train:finished': true, 'import:progress': true, 'export:progress': true, 'strategies:progress': true, 'labels:issuesProgress': true };
export const EVENT_CHANNELS = Object.keys(eventChannelSet) as EventChannel[];
