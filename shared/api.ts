// The one typed API contract between the UI and the backend.
// The Electron preload exposes exactly these methods over IPC; the browser host serves the same
// contract over a WebSocket. Arguments and results are structured-clone-safe data.
import type {
  DocumentInfo,
  DocumentPage,
  DocumentQuery,
  ImbalanceReview,
  ImportOptions,
  ImportReport,
  LabelInfo,
  PredictionRow,
  ProjectInfo,
  RunMetrics,
  RunSummary,
  SyntheticProvenance,
  SyntheticStatus,
  TaskKind,
  TrainProgress,
  TrainSettings,
} from './domain.js';

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
}

/** A synthetic minority example awaiting (or past) review, with the start of each document it was made from. */
export interface SyntheticExample extends DocumentInfo {
  synthetic: SyntheticProvenance;
  parentSnippets: Array<{ id: number; snippet: string }>;
}

/** Request channels: name -> (argument) => result. Every call resolves or rejects with an Error message. */
export interface RequestChannels {
  'projects:recent': (arg: void) => RecentProject[];
  'projects:create': (arg: { name: string; task: TaskKind; path?: string }) => { path: string; project: ProjectInfo };
  'projects:open': (arg: { path: string }) => ProjectInfo;
  'projects:openSample': (arg: void) => { path: string; project: ProjectInfo };
  'projects:current': (arg: void) => { path: string; project: ProjectInfo } | null;
  'projects:setTask': (arg: { task: TaskKind }) => ProjectInfo;

  'import:preview': (arg: { path: string; options?: ImportOptions }) => ImportPreview;
  /**
   * Upload from the browser host, where the page cannot hand over a path: content is the file's bytes, base64.
   * Files of a dropped folder also send their path inside the drop (`relativePath`, e.g. 'mail/spam/1.eml', forward
   * slashes) and one `batch` id per drop (letters, digits, '-', '_'); the host rebuilds the folders under
   * uploads/<batch>/ and answers `folder` = the top folder of that file there (import it: subfolders become labels)
   * and `batchFolder` = uploads/<batch> (import it when several folders were dropped together).
   */
  'import:upload': (arg: { name: string; base64: string; relativePath?: string; batch?: string }) => {
    path: string;
    folder?: string;
    batchFolder?: string;
  };
  'import:run': (arg: { paths: string[]; options: ImportOptions }) => ImportReport;

  'labels:list': (arg: void) => LabelInfo[];
  'labels:add': (arg: { name: string; description?: string; colour?: string }) => LabelInfo[];
  'labels:rename': (arg: { from: string; to: string }) => LabelInfo[];
  'labels:merge': (arg: { from: string; into: string }) => LabelInfo[];
  'labels:delete': (arg: { name: string }) => { labels: LabelInfo[]; annotationsRemoved: number; documentsLeftUnlabeled: number };
  'labels:describe': (arg: { name: string; description: string }) => LabelInfo[];

  'documents:query': (arg: DocumentQuery) => DocumentPage;
  'documents:setLabels': (arg: { documentId: number; labels: string[] }) => { documentId: number; labels: string[] };

  'review:imbalance': (arg: void) => ImbalanceReview;

  'train:start': (arg: { settings: Partial<TrainSettings> }) => { runId: number };
  'train:cancel': (arg: { runId: number }) => { cancelled: boolean };
  /** The run in progress in this project, or null. */
  'train:active': (arg: void) => ActiveRun | null;
  'runs:list': (arg: void) => RunSummary[];
  'runs:metrics': (arg: { runId: number }) => RunMetrics;
  /** A finished run's training curve. */
  'runs:history': (arg: { runId: number }) => EpochPoint[];
  'runs:predictions': (arg: { runId: number; trueLabel?: string; predictedLabel?: string; misclassifiedOnly?: boolean }) => PredictionRow[];

  'predict:texts': (arg: { runId: number; texts: string[] }) => PredictionRow[];
  'predict:file': (arg: { runId: number; path: string; options: ImportOptions }) => { rows: PredictionRow[]; csv: string };
  /**
   * Writes the run's model as ONNX files; progress arrives as 'export:progress' events. `check`: the exported model
   * against the app on up to 20 of the run's test documents (absent when the run kept no test predictions).
   */
  'export:onnx': (arg: { runId: number; outDir?: string; quantize?: boolean }) => {
    outDir: string;
    check?: { documents: number; sameLabels: number; maxAbsDiff: number };
  };

  /** New pending candidates for a small class, made from its own documents (seeded). */
  'synthetic:generate': (arg: { label: string; count: number; seed?: number }) => SyntheticExample[];
  'synthetic:list': (arg: { status?: SyntheticStatus; label?: string }) => SyntheticExample[];
  /** Accept (optionally with edited text) or reject a candidate; only accepted ones are training examples. */
  'synthetic:review': (arg: { documentId: number; status: 'accepted' | 'rejected'; text?: string }) => SyntheticExample;
}

/** Events pushed from the backend to the UI. */
export interface EventChannels {
  'train:progress': TrainProgress;
  'train:finished': { runId: number; status: RunSummary['status']; error: string | null };
  'import:progress': { file: string; done: number; total: number | null };
  /** One step of an ONNX export ('building the ONNX graph', ...), as it starts. */
  'export:progress': { runId: number; message: string };
}

export type RequestChannel = keyof RequestChannels;
export type EventChannel = keyof EventChannels;
export type RequestArg<C extends RequestChannel> = Parameters<RequestChannels[C]>[0];
export type RequestResult<C extends RequestChannel> = ReturnType<RequestChannels[C]>;

/** The object the preload exposes as window.finetune, and the browser host client implements. */
export interface FinetuneApi {
  invoke<C extends RequestChannel>(channel: C, arg: RequestArg<C>): Promise<RequestResult<C>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventChannels[E]) => void): () => void;
}

/** Runtime list of channels, so the preload and the host can refuse anything else.
 * Written as a Record so the compiler proves it names every channel exactly once. */
const requestChannelSet: Record<RequestChannel, true> = {
  'projects:recent': true, 'projects:create': true, 'projects:open': true, 'projects:openSample': true,
  'projects:current': true, 'projects:setTask': true,
  'import:preview': true, 'import:upload': true, 'import:run': true,
  'labels:list': true, 'labels:add': true, 'labels:rename': true, 'labels:merge': true, 'labels:delete': true,
  'labels:describe': true,
  'documents:query': true, 'documents:setLabels': true,
  'review:imbalance': true,
  'train:start': true, 'train:cancel': true, 'train:active': true, 'runs:list': true, 'runs:history': true, 'runs:metrics': true, 'runs:predictions': true,
  'predict:texts': true, 'predict:file': true, 'export:onnx': true,
  'synthetic:generate': true, 'synthetic:list': true, 'synthetic:review': true,
};
export const REQUEST_CHANNELS = Object.keys(requestChannelSet) as RequestChannel[];

const eventChannelSet: Record<EventChannel, true> = { 'train:progress': true, 'train:finished': true, 'import:progress': true, 'export:progress': true };
export const EVENT_CHANNELS = Object.keys(eventChannelSet) as EventChannel[];
