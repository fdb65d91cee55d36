// The API contract, declared once: every request channel with the schema of its argument (the run-time check and,
// inferred from it, the argument's type), its result type, and whether it writes to the project. shared/api.ts
// derives the channel types from this table, the service checks every call with it and types its handlers against
// it (`satisfies`), and the preload and the browser host accept exactly these channels.
import type {
  ActiveRun,
  LabelIssuesResult,
  LabelNextResult,
  EpochPoint,
  ImportPreview,
  RecentProject,
  SyntheticExample,
} from './api.js';
import {
  APP_DEPTHS,
  DECISION_MODES,
  STRATEGY_NAMES,
  WEIGHT_SCHEMES,
  type DocumentPage,
  type FineTuneEstimate,
  type ImbalanceReview,
  type ImportOptions,
  type ImportReport,
  type LabelInfo,
  type PredictionRow,
  type ProjectInfo,
  type RunMetrics,
  type RunSummary,
  type StrategySearchReport,
  type TaxonomyChange,
  type TrainSettings,
} from './domain.js';
import type { LabelRename } from './renames.js';
import type { TaggedText, TokenDocument, TokenDocumentPage, TokenReview, TokenRunResults } from './tokens.js';
import { ArgumentError, arrayOf, boolean, id, integer, none, nonEmpty, object, oneOf, optional, range, recordOf, string, type Schema } from './schema.js';

/** A result type carried by the table for the compiler only (results are the backend's own data, not checked). */
export interface Returns<R> {
  readonly __result?: R;
}
const returns = <R>(): Returns<R> => ({});

export interface ChannelSpec<A, R> {
  arg: Schema<A>;
  result: Returns<R>;
  /** Writes to the open project or replaces it: refused while an import holds the project's write transaction. */
  writes: boolean;
}

const channel = <A, R>(arg: Schema<A>, result: Returns<R>, writes: boolean): ChannelSpec<A, R> => ({ arg, result, writes });
const READS = false;
const WRITES = true;

/** Raw bytes per upload chunk at most (its base64 is 4/3 of it, well inside the host's message limit). */
export const MAX_UPLOAD_CHUNK_BYTES = 2 * 1024 * 1024;
/** Raw bytes per download chunk at most (the same size the other way). */
export const MAX_DOWNLOAD_CHUNK_BYTES = MAX_UPLOAD_CHUNK_BYTES;

/** A file the app wrote, offered to the page to save: read it with 'download:chunk' from offset 0 until done. */
export interface DownloadOffer {
  downloadId: string;
  fileName: string;
  bytes: number;
}

const task = oneOf('single_label', 'multi_label');
/** A new project may also mark words (token tasks); an existing one cannot switch to or from that. */
const projectTask = oneOf('single_label', 'multi_label', 'token');

const importOptions: Schema<ImportOptions> = object({
  textCol: optional(string),
  labelCol: optional(string),
  multiLabel: optional(boolean),
  labelSep: optional(string),
  keepSubject: optional(boolean),
  encoding: optional(string),
  pairCol: optional(string),
});

const costs = object({ miss: recordOf(range(0, 1e9)), falseAlarm: recordOf(range(0, 1e9)) });

const trainSettings: Schema<Partial<TrainSettings>> = object({
  strategy: optional(oneOf('auto', ...STRATEGY_NAMES)),
  weights: optional(oneOf(...WEIGHT_SCHEMES)),
  gamma: optional(range(0, 10)),
  head: optional(oneOf('linear', 'mlp')),
  epochs: optional(integer(1, 10_000)),
  seed: optional(integer(0, 2 ** 31 - 1)),
  valFraction: optional(range(0, 1, { exclusive: true })),
  testFraction: optional(range(0, 1, { exclusive: true })),
  lexical: optional(boolean),
  decision: optional(oneOf(...DECISION_MODES)),
  folds: optional(integer(2, 20)),
  repeats: optional(integer(1, 10)),
  searchSeconds: optional(integer(1, 24 * 3600)),
  costs: optional(costs),
  reviewBudget: optional(range(0, 1)),
  groupSimilar: optional(boolean),
  depth: optional(oneOf(...APP_DEPTHS)),
  tryFineTune: optional(boolean),
  freezeEmbeddings: optional(boolean),
  fineTune: optional(object({
    epochs: optional(integer(1, 50)),
    batchSize: optional(integer(1, 256)),
    accumulate: optional(integer(1, 64)),
    learningRate: optional(range(0, 1, { exclusive: true })),
    headLearningRate: optional(range(0, 1, { exclusive: true })),
    maxLength: optional(integer(8, 512)),
    contrastivePairs: optional(integer(2, 100_000)),
  })),
});

const runOnly = object({ runId: id });

export const CHANNELS = {
  'projects:recent': channel(none, returns<RecentProject[]>(), READS),
  'projects:create': channel(object({ name: nonEmpty, task: projectTask, path: optional(nonEmpty) }), returns<{ path: string; project: ProjectInfo }>(), WRITES),
  'projects:open': channel(object({ path: nonEmpty }), returns<ProjectInfo>(), WRITES),
  'projects:openSample': channel(none, returns<{ path: string; project: ProjectInfo }>(), WRITES),
  'projects:current': channel(none, returns<{ path: string; project: ProjectInfo } | null>(), READS),
  'projects:setTask': channel(object({ task }), returns<ProjectInfo>(), WRITES),
  /** Makes the project one of sentence pairs: each document's second text is in this imported column (null: none). */
  'projects:setPairColumn': channel(object({ column: optional(nonEmpty) }), returns<ProjectInfo>(), WRITES),

  'import:preview': channel(object({ path: nonEmpty, options: optional(importOptions) }), returns<ImportPreview>(), READS),
  /**
   * A file the page hands over (it cannot give paths), streamed in chunks: begin (name and size in bytes), chunks
   * of base64 in order (offset = bytes sent so far, at most MAX_UPLOAD_CHUNK_BYTES each), finish. Files of a dropped folder
   * also send their path inside the drop (`relativePath`, e.g. 'mail/spam/1.eml', forward slashes) and one `batch`
   * id per drop (letters, digits, '-', '_'); finish answers `path`, and for a folder's files `folder` = the top
   * folder of that file on the host (import it: subfolders become labels) and `batchFolder` (every folder of the
   * drop). Uploaded files are removed once imported.
   */
  'upload:begin': channel(
    object({ name: nonEmpty, size: integer(0, 2 ** 40), relativePath: optional(nonEmpty), batch: optional(nonEmpty) }),
    returns<{ uploadId: string }>(),
    READS,
  ),
  'upload:chunk': channel(object({ uploadId: nonEmpty, offset: integer(0), base64: string }), returns<{ received: number }>(), READS),
  'upload:finish': channel(object({ uploadId: nonEmpty }), returns<{ path: string; folder?: string; batchFolder?: string }>(), READS),
  'import:run': channel(object({ paths: arrayOf(nonEmpty, 10_000), options: importOptions }), returns<ImportReport>(), WRITES),

  'labels:list': channel(none, returns<LabelInfo[]>(), READS),
  'labels:add': channel(object({ name: nonEmpty, description: optional(string), colour: optional(string) }), returns<LabelInfo[]>(), WRITES),
  'labels:rename': channel(object({ from: nonEmpty, to: nonEmpty }), returns<LabelInfo[]>(), WRITES),
  'labels:merge': channel(object({ from: nonEmpty, into: nonEmpty }), returns<LabelInfo[]>(), WRITES),
  'labels:delete': channel(object({ name: nonEmpty }), returns<{ labels: LabelInfo[]; annotationsRemoved: number; documentsLeftUnlabeled: number }>(), WRITES),
  'labels:describe': channel(object({ name: nonEmpty, description: string }), returns<LabelInfo[]>(), WRITES),
  /** The newest rename, merge or delete that can still be undone (null: none); kept in the project, so after a reload too. */
  /** Renames not undone, oldest first: a run's label names mapped to today's (shared/renames.ts). */
  'labels:renames': channel(none, returns<LabelRename[]>(), READS),
  'labels:lastChange': channel(none, returns<TaxonomyChange | null>(), READS),
  /** Undoes that change (newest first, one at a time): the label, its annotations and its marks come back. */
  'labels:undo': channel(none, returns<{ undone: TaxonomyChange; labels: LabelInfo[]; next: TaxonomyChange | null }>(), WRITES),

  /** Synthetic candidates not yet accepted are never listed (they are reviewed through 'synthetic:list'). */
  'documents:query': channel(
    object({ search: optional(string), label: optional(string), offset: optional(integer(0)), limit: optional(integer(0, 10_000)) }),
    returns<DocumentPage>(),
    READS,
  ),
  'documents:setLabels': channel(object({ documentId: id, labels: arrayOf(nonEmpty, 1000) }), returns<{ documentId: number; labels: string[] }>(), WRITES),

  'review:imbalance': channel(none, returns<ImbalanceReview>(), READS),
  /** The unlabeled documents the latest model is least sure about, with the reason (active learning). */
  'suggest:next': channel(object({ count: optional(integer(1, 500)), measure: optional(oneOf('margin', 'entropy')) }), returns<LabelNextResult>(), READS),

  /**
   * The strategy search alone on the project's training split (progress as 'strategies:progress' events); resolves
   * with the evidence, or rejects when cancelled ('analysis:cancel').
   */
  'strategies:search': channel(object({ settings: optional(trainSettings) }), returns<StrategySearchReport>(), READS),
  /** Cancels the running analysis: the strategy search or the label check, whichever runs. */
  'analysis:cancel': channel(none, returns<{ cancelled: boolean }>(), READS),
  /**
   * Labeled documents whose label looks wrong (confident learning on cross-validated predictions; progress as
   * 'labels:issuesProgress' events); rejects when cancelled ('analysis:cancel').
   */
  'labels:issues': channel(none, returns<LabelIssuesResult>(), READS),

  'train:start': channel(object({ settings: trainSettings }), returns<{ runId: number }>(), WRITES),
  /** The installation's settings: the name labels and reviews are recorded under (null until given). */
  'settings:get': channel(none, returns<{ author: string | null }>(), READS),
  /** Sets that name; it writes the data folder's settings, not the project. */
  'settings:setAuthor': channel(object({ author: nonEmpty }), returns<{ author: string | null }>(), READS),
  /** The training job for a GPU machine (job-export.ts) with these settings, written into the data folder's exports. */
  'job:export': channel(object({ settings: trainSettings, baseModel: optional(nonEmpty) }), returns<{ path: string; train: number; val: number; test: number }>(), READS),
  /** The run's audit pack (audit-pack.ts) written into the data folder's exports; returns where. */
  'audit:save': channel(object({ runId: id, withText: optional(boolean) }), returns<{ path: string; files: number; documents: number; download: DownloadOffer }>(), READS),
  /** A fine-tuning run that was cancelled or failed, started again as a new run from its last finished epoch. */
  'train:resume': channel(runOnly, returns<{ runId: number }>(), WRITES),
  /** The last finished epoch a cancelled or failed fine-tuning run kept (null: nothing to resume from). */
  'runs:checkpoint': channel(runOnly, returns<{ epoch: number; epochs: number } | null>(), READS),
  /** How long fine-tuning at settings.depth would take: training steps on the project's documents, timed here. */
  'train:estimate': channel(object({ settings: trainSettings }), returns<FineTuneEstimate>(), READS),
  'train:cancel': channel(runOnly, returns<{ cancelled: boolean }>(), READS),
  /** The run in progress in this project, or null. */
  'train:active': channel(none, returns<ActiveRun | null>(), READS),
  'runs:list': channel(none, returns<RunSummary[]>(), READS),
  'runs:metrics': channel(runOnly, returns<RunMetrics>(), READS),
  /** A finished run's training curve (empty for the linear head, which has no epochs). */
  'runs:history': channel(runOnly, returns<EpochPoint[]>(), READS),
  'runs:predictions': channel(
    object({ runId: id, trueLabel: optional(string), predictedLabel: optional(string), misclassifiedOnly: optional(boolean) }),
    returns<PredictionRow[]>(),
    READS,
  ),

  /** pairs: for a sentence-pair project, each text's second text. */
  'predict:texts': channel(object({ runId: id, texts: arrayOf(string, 10_000), pairs: optional(arrayOf(string, 10_000)) }), returns<PredictionRow[]>(), READS),
  /** One text (with pair: a sentence pair) predicted and explained by occlusion (shared/explain.ts): which words mattered. */
  'predict:explain': channel(object({ runId: id, text: string, pair: optional(string) }), returns<PredictionRow>(), READS),
  'predict:file': channel(object({ runId: id, path: nonEmpty, options: importOptions }), returns<{ rows: PredictionRow[]; csv: string }>(), READS),
  /**
   * Writes the run's model as ONNX files; progress arrives as 'export:progress' events. `check`: the exported model
   * against the app on up to 20 of the run's test documents (absent when the run kept no test predictions).
   */
  'export:onnx': channel(
    object({ runId: id, outDir: optional(nonEmpty), quantize: optional(boolean) }),
    returns<{ outDir: string; check?: { documents: number; sameLabels: number; maxAbsDiff: number } }>(),
    READS,
  ),
  /** The run's latest ONNX export of this session zipped, to save where the page runs (the browser host's only way). */
  'export:zip': channel(runOnly, returns<DownloadOffer>(), READS),
  /** The next bytes (base64, at most MAX_DOWNLOAD_CHUNK_BYTES) of an offered file; the offer ends with the last. */
  'download:chunk': channel(object({ downloadId: nonEmpty, offset: integer(0) }), returns<{ base64: string; done: boolean }>(), READS),

  /** Token projects: documents with their words and entity spans, filtered (to mark, finished, with a type, text). */
  'tokens:query': channel(
    object({ annotated: optional(boolean), label: optional(nonEmpty), search: optional(string), offset: optional(integer(0)), limit: optional(integer(0, 1000)) }),
    returns<TokenDocumentPage>(),
    READS,
  ),
  'tokens:get': channel(object({ documentId: id }), returns<TokenDocument>(), READS),
  /**
   * Replaces a document's spans (snapped out to whole words; overlaps refused). finished: true marks it done (it
   * trains), false not done; absent keeps it as it was, so marks in progress are saved without training yet.
   */
  'tokens:setSpans': channel(
    object({ documentId: id, spans: arrayOf(object({ start: integer(0), end: integer(1), label: nonEmpty }), 10_000), finished: optional(boolean) }),
    returns<TokenDocument>(),
    WRITES,
  ),
  /** How the marks are spread: words outside every entity, and each type's entities and documents. */
  'tokens:review': channel(none, returns<TokenReview>(), READS),
  /** A token run's figures and each test document's gold and predicted spans. */
  'tokens:results': channel(runOnly, returns<TokenRunResults>(), READS),
  /** New texts tagged by a token run's model: words and scored spans. */
  'tokens:predict': channel(object({ runId: id, texts: arrayOf(string, 1000) }), returns<TaggedText[]>(), READS),

  /** New pending candidates for a small class, made from its own documents (seeded). */
  'synthetic:generate': channel(object({ label: nonEmpty, count: integer(1, 1000), seed: optional(integer(0)) }), returns<SyntheticExample[]>(), WRITES),
  /**
   * Pending candidates written by a local language model (OpenAI-compatible chat API: Ollama, llama.cpp, LM Studio)
   * from the class's description and a few of its real documents; only this computer's servers unless allowRemote.
   */
  'synthetic:generateWithLlm': channel(object({
    label: nonEmpty,
    count: integer(1, 200),
    baseUrl: nonEmpty,
    model: nonEmpty,
    temperature: optional(range(0, 2)),
    maxWords: optional(integer(10, 2000)),
    examples: optional(integer(1, 20)),
    timeoutSeconds: optional(integer(5, 3600)),
    allowRemote: optional(boolean),
  }), returns<SyntheticExample[]>(), WRITES),
  'synthetic:list': channel(object({ status: optional(oneOf('pending', 'accepted', 'rejected')), label: optional(nonEmpty) }), returns<SyntheticExample[]>(), READS),
  /** Accept (optionally with edited text) or reject a candidate; only accepted ones are training examples. */
  'synthetic:review': channel(object({ documentId: id, status: oneOf('accepted', 'rejected'), text: optional(string) }), returns<SyntheticExample>(), WRITES),
  /** The same for several candidates at once (the review's "accept all shown" / "reject all shown"); all or none. */
  'synthetic:reviewMany': channel(object({ documentIds: arrayOf(id, 10_000), status: oneOf('accepted', 'rejected') }), returns<SyntheticExample[]>(), WRITES),
} as const;

export type RequestChannel = keyof typeof CHANNELS;
type SpecOf<C extends RequestChannel> = (typeof CHANNELS)[C];
export type RequestArg<C extends RequestChannel> = SpecOf<C> extends ChannelSpec<infer A, unknown> ? A : never;
export type RequestResult<C extends RequestChannel> = SpecOf<C>['result'] extends Returns<infer R> ? R : never;

export const REQUEST_CHANNELS = Object.keys(CHANNELS) as RequestChannel[];

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CHANNELS, value);
}

/** The argument checked and stripped to the fields the channel knows; throws ArgumentError otherwise. */
export function checkArgument<C extends RequestChannel>(channel: C, arg: unknown): RequestArg<C> {
  if (!isRequestChannel(channel)) throw new ArgumentError(`Unknown request channel '${String(channel)}'.`);
  return CHANNELS[channel].arg.check(arg, channel) as RequestArg<C>;
}

export function writesToProject(channel: RequestChannel): boolean {
  return CHANNELS[channel].writes;
}
