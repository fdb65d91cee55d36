// Domain types shared by every layer. Pure TypeScript: no Node, DOM or Electron imports.
// Every payload here is plain, structured-clone-safe data (no classes, Maps, Dates or functions).

export type TaskKind = 'single_label' | 'multi_label';

export type AnnotationSource = 'imported' | 'manual' | 'synthetic' | 'predicted';

/** How a synthetic minority example was made from its class's real documents (electron/backend/synthetic/augment.ts). */
export type SyntheticMethod = 'sentence-recombination' | 'eda' | 'distinctive-words';

/** What each method does, in the words the CLI and the review screen show. */
export const SYNTHETIC_METHOD_DESCRIPTIONS: Record<SyntheticMethod, string> = {
  'sentence-recombination': 'sentences from 2–3 documents of the class, kept in their order',
  eda: 'a few short spans deleted and words swapped within sentences',
  'distinctive-words': "the class's most distinctive words (TF-IDF), taken from its other documents, inserted",
};

/** Synthetic examples train only once a person accepted them. */
export type SyntheticStatus = 'pending' | 'accepted' | 'rejected';

/** Stored in a synthetic document's metadata under `synthetic`. */
export interface SyntheticProvenance {
  method: SyntheticMethod;
  /** Document ids whose text went into it; training drops it unless all of them are in the training split. */
  parents: number[];
  status: SyntheticStatus;
  /** The reviewer changed the generated text. */
  edited?: boolean;
}

export interface ProjectInfo {
  id: number;
  name: string;
  task: TaskKind;
  createdAt: string; // ISO 8601
  /** Schema version of the project file (SQLite user_version). */
  schemaVersion: number;
  /** Encoder used for embeddings; 'use-lite' is the shipped default, 'hf:<folder>' a local Hugging Face model. */
  encoder: string;
}

export interface LabelInfo {
  id: number;
  name: string;
  description: string;
  order: number;
  colour: string; // #rrggbb
  /** Number of documents carrying this label (any source except 'predicted'; synthetic candidates only once accepted). */
  count: number;
}

export interface DocumentInfo {
  id: number;
  text: string;
  sourceFile: string;
  /** 1-based data row for tabular sources, or the path inside a folder import. */
  sourceRef: string;
  contentHash: string;
  metadata: Record<string, unknown>;
  labels: string[];
}

/** Synthetic candidates not yet accepted are never listed (they are reviewed through 'synthetic:list'). */
export interface DocumentQuery {
  search?: string;
  /** Only documents with this label; '' means unlabeled documents. */
  label?: string;
  offset?: number;
  limit?: number;
}

export interface DocumentPage {
  total: number;
  documents: DocumentInfo[];
}

// ---------- Import ----------

export type ImportItemStatus = 'imported' | 'skipped' | 'failed';

export interface ImportIssue {
  status: Exclude<ImportItemStatus, 'imported'>;
  file: string;
  /** Row number (1-based, header excluded) or path inside a folder; '' when the whole file is concerned. */
  where: string;
  reason: string;
}

export interface ImportReport {
  files: string[];
  imported: number;
  skipped: number;
  failed: number;
  /** One entry per skipped or failed item, each naming file, row/path and reason. */
  issues: ImportIssue[];
  labelsCreated: string[];
  seconds: number;
  /** Informational messages from the readers, e.g. which column was taken as the text. */
  notices?: Array<{ file: string; message: string }>;
}

export interface ImportOptions {
  /** Column (CSV/TSV) or field (JSONL) holding the text. */
  textCol?: string;
  /** Column or field holding the label(s). Absent: documents are imported unlabeled. */
  labelCol?: string;
  multiLabel?: boolean;
  /** Separator between labels in one cell for multi-label data, e.g. '|'. */
  labelSep?: string;
  /** E-mail: keep the Subject line in front of the body (headers are otherwise dropped). */
  keepSubject?: boolean;
  /** Force a text encoding instead of detecting it, e.g. 'windows-1252'. */
  encoding?: string;
}

// ---------- Imbalance review ----------

/** Every imbalance strategy: the one list that the argument checks and the CLI's choices are read from. */
export const STRATEGY_NAMES = ['none', 'weighted', 'focal', 'oversample', 'undersample', 'focal+oversample', 'synthetic+oversample'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const WEIGHT_SCHEMES = ['inverse', 'sqrt_inverse', 'effective'] as const;
export type WeightScheme = (typeof WEIGHT_SCHEMES)[number];

export interface ClassCount {
  label: string;
  count: number;
  share: number; // 0..1 of labeled documents (multi-label: of label assignments)
}

export interface Recommendation {
  strategy: StrategyName;
  weights?: WeightScheme;
  gamma?: number;
  /** The figures the recommendation rests on, in plain words, e.g. "largest : smallest = 45 : 1". */
  basis: string[];
  /** Why, in one or two plain sentences. */
  reason: string;
}

export type ReviewWarningKind =
  | 'too_few_classes'
  | 'class_too_small_for_test'
  | 'small_class'
  | 'duplicates'
  | 'conflicting_labels'
  | 'empty_texts_skipped'
  | 'unlabeled';

export interface ReviewWarning {
  kind: ReviewWarningKind;
  message: string;
  labels?: string[];
  count?: number;
}

export interface ImbalanceReview {
  task: TaskKind;
  documents: number;
  labeled: number;
  unlabeled: number;
  classes: ClassCount[];
  /** Largest class count : smallest class count (among classes with at least one example). null with < 2 classes. */
  imbalanceRatio: number | null;
  minorityShare: number | null;
  duplicateGroups: number;
  duplicateDocuments: number;
  /** Exact copies skipped at import (each text is kept once); duplicateGroups/duplicateDocuments are the near-exact copies left. */
  exactDuplicatesSkipped?: number;
  conflictingGroups: number;
  recommendation: Recommendation | null;
  warnings: ReviewWarning[];
}

// ---------- Training ----------

export type HeadKind = 'linear' | 'mlp';

export interface TrainSettings {
  strategy: StrategyName | 'auto';
  weights: WeightScheme;
  gamma: number;
  head: HeadKind;
  epochs: number;
  seed: number;
  /** Fractions of labeled documents held out. */
  valFraction: number;
  testFraction: number;
  /** Give the head TF-IDF features of the tokenizer ids beside the embedding (default true). */
  lexical?: boolean;
}

/** The defaults shared by the CLI, the app service and the Strategy page. */
export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  strategy: 'auto',
  weights: 'sqrt_inverse',
  gamma: 2,
  head: 'linear',
  epochs: 60,
  seed: 42,
  valFraction: 0.1,
  testFraction: 0.2,
  lexical: true,
};

export type TrainPhase = 'prepare' | 'embed' | 'train' | 'calibrate' | 'evaluate' | 'done';

export interface TrainProgress {
  runId: number | null;
  phase: TrainPhase;
  done: number;
  total: number;
  /** Seconds left in this phase, null while unknown. */
  etaSeconds: number | null;
  epoch?: number;
  loss?: number;
  valMacroF1?: number;
  message?: string;
}

export interface PerClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
  /** True when precision or recall was 0/0 (reported as 0, shown as undefined). */
  undefinedPrecision?: boolean;
  undefinedRecall?: boolean;
  /** Fewer than 10 test examples: the figures are unreliable. */
  smallSupport?: boolean;
  /** 95% bootstrap interval of F1. */
  f1Interval?: [number, number];
}

export interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  confidence: number; // mean top-class confidence in the bin
  accuracy: number; // fraction correct in the bin
}

/** The metrics.json shape promised to users (issue 3), plus extras the UI uses. */
export interface RunMetrics {
  task: TaskKind;
  labels: string[];
  accuracy: number;
  f1_macro: number;
  f1_micro: number;
  f1_weighted: number;
  per_class: Record<string, PerClassMetrics>;
  confusion_matrix?: { labels: string[]; matrix: number[][] };
  thresholds?: Record<string, number>;
  ece: number;
  calibration?: CalibrationBin[];
  strategy: ResolvedStrategy;
  n_train: number;
  n_val: number;
  n_test: number;
  /** Reviewed synthetic examples: how many trained, and how many were left out because one of their source
   * documents landed in validation or test (their text would leak into training). Absent when there were none. */
  synthetic?: { used: number; droppedForLeakage: number };
  seconds: { embed: number; train: number; eval: number };
}

export interface ResolvedStrategy {
  name: StrategyName;
  loss: 'cross_entropy' | 'weighted_cross_entropy' | 'focal' | 'bce' | 'focal_bce';
  weights?: WeightScheme;
  classWeights?: Record<string, number>;
  gamma?: number;
  sampling: 'none' | 'oversample' | 'undersample';
  head: HeadKind;
  epochs: number;
  seed: number;
  backend: string;
  encoder: string;
  temperature?: number;
  /** For 'auto': the recommendation followed and why. */
  auto?: Recommendation;
  /** Whether TF-IDF features of the tokenizer ids fed the head beside the embedding, and how many. */
  lexical?: { enabled: boolean; features: number };
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface RunSummary {
  id: number;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  settings: TrainSettings;
  f1Macro: number | null;
  error: string | null;
}

export interface PredictionRow {
  documentId?: number;
  /** Where the document came from when predicting files: the row number, or the path inside the folder. */
  source?: string;
  text: string;
  trueLabels?: string[];
  predicted: string[];
  probabilities: Record<string, number>;
}
