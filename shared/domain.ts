// Domain types shared by every layer. Pure TypeScript: no Node, DOM or Electron imports.
// Every payload here is plain, structured-clone-safe data (no classes, Maps, Dates or functions).
import type { Explanation } from './explain.js';

export type TaskKind = 'single_label' | 'multi_label';

/** What a project predicts: labels of whole documents (TaskKind), or marks on their words (shared/tokens.ts). */
export type ProjectTask = TaskKind | 'token';

export type AnnotationSource = 'imported' | 'manual' | 'synthetic' | 'predicted';

/** How a synthetic minority example was made from its class's real documents (electron/backend/synthetic/augment.ts). */
export type SyntheticMethod = 'sentence-recombination' | 'eda' | 'distinctive-words' | 'llm';

/** What each method does, in the words the CLI and the review screen show. */
export const SYNTHETIC_METHOD_DESCRIPTIONS: Record<SyntheticMethod, string> = {
  'sentence-recombination': 'sentences from 2–3 documents of the class, kept in their order',
  eda: 'a few short spans deleted and words swapped within sentences',
  'distinctive-words': "the class's most distinctive words (TF-IDF), taken from its other documents, inserted",
  llm: 'written by a local language model (OpenAI-compatible server on this computer) from the class description and a few of its documents',
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
  /** Who accepted or rejected it, when they gave a name. */
  reviewer?: string;
}

export interface ProjectInfo {
  id: number;
  name: string;
  task: ProjectTask;
  createdAt: string; // ISO 8601
  /** Schema version of the project file (SQLite user_version). */
  schemaVersion: number;
  /** Encoder used for embeddings; 'use-lite' is the shipped default, 'hf:<folder>' a local Hugging Face model. */
  encoder: string;
  /** Sentence pairs: the imported column that holds each document's second text (null: single texts). */
  pairColumn: string | null;
  /** Token projects: entities or one tag per word, from the first import (null until then, and for other tasks). */
  tagScheme: 'entities' | 'tags' | null;
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
  /** A synthetic example's provenance; absent for a real document. */
  synthetic?: SyntheticProvenance;
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
  /** Sentence pairs: the column holding each row's second text; a pair (in either order) is one document. */
  pairCol?: string;
}

// ---------- Imbalance review ----------

/** Every imbalance strategy: the one list that the argument checks and the CLI's choices are read from. */
export const STRATEGY_NAMES = ['none', 'weighted', 'focal', 'oversample', 'undersample', 'oversample+undersample', 'focal+oversample', 'synthetic+oversample'] as const;
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

/**
 * How a class is decided from the probabilities. 'argmax': the most probable class (multi-label: 0.5).
 * 'tuned': per-class offsets (multi-label: thresholds) tuned on out-of-fold predictions for macro-F1.
 * 'auto': whichever of the two the cross-validation measured better (the simpler one when within noise).
 */
export const DECISION_MODES = ['auto', 'tuned', 'argmax'] as const;
export type DecisionMode = (typeof DECISION_MODES)[number];

export interface TrainSettings {
  strategy: StrategyName | 'auto';
  weights: WeightScheme;
  gamma: number;
  head: HeadKind;
  epochs: number;
  seed: number;
  /** Fractions of labeled documents held out. validation is only held out for the MLP head (the linear head selects by cross-validation on all of training). */
  valFraction: number;
  testFraction: number;
  /** Give the head TF-IDF features of the tokenizer ids beside the embedding (default true). */
  lexical?: boolean;
  /** Class decisions (default 'auto'). */
  decision?: DecisionMode;
  /** Cross-validation of the strategy search and model selection (defaults 5 folds, 2 repeats). */
  folds?: number;
  repeats?: number;
  /** Seconds the strategy search may take with strategy 'auto' before it settles on what it has measured (default 120). */
  searchSeconds?: number;
  /** Cost-based decisions (the costs issue): per class, what a miss costs against a false alarm. */
  costs?: DecisionCosts;
  /** Share of documents (0–1) a person can review: the least certain ones are sent to review. */
  reviewBudget?: number;
  /**
   * Keep similar documents (likely the same source: a book, a thread, a sender) in one cross-validation fold, for
   * data where new documents will come from new sources (default false).
   */
  groupSimilar?: boolean;
  /**
   * How much of the encoder learns (the fine-tuning issue): 'head' (default: the encoder is a frozen feature
   * extractor, the strategy search picks the head), 'top-k' (the last k layers and the head) or 'full'.
   */
  depth?: string;
  /** With depth 'full': keep the token embeddings as they are. */
  freezeEmbeddings?: boolean;
  /** Fine-tuning knobs (depth other than 'head'); unset fields take the defaults of fine-tune.ts. */
  fineTune?: FineTuneOptions;
  /**
   * With strategy 'auto' and depth 'head': also measure fine-tuning the top layer within what is left of
   * searchSeconds, and train that way when it is clearly better (default false).
   */
  tryFineTune?: boolean;
}

/** Fine-tuning's epochs at most, when the settings name none. */
export const DEFAULT_FINE_TUNE_EPOCHS = 4;

export interface FineTuneOptions {
  epochs?: number;
  batchSize?: number;
  /** Micro-batches per optimiser step. */
  accumulate?: number;
  /** Learning rate of the pretrained weights (default 2e-5). */
  learningRate?: number;
  /** Learning rate of the new head (default 1e-3). */
  headLearningRate?: number;
  /** Token ids per text (default 128). */
  maxLength?: number;
  /** Depth 'contrastive': pairs of documents to tune on (default 40 per training document, at most 640). */
  contrastivePairs?: number;
}

/** The depths the app offers (the CLI takes any top-k). */
export const APP_DEPTHS = ['head', 'top-1', 'top-2', 'full', 'contrastive'] as const;

/** Fine-tuning's duration, measured on this computer before training (training steps timed on the project's documents). */
export interface FineTuneEstimate {
  depth: string;
  /** The tfjs backend that was timed: 'wasm', 'webgpu', 'tensorflow' or 'cpu'. */
  backend: string;
  batchSize: number;
  /** One optimiser step over batchSize of the project's documents. */
  secondsPerStep: number;
  steps: number;
  epochs: number;
  /** The whole run: steps, validation and test passes, and (USE-lite) the first head fitted on frozen vectors. */
  seconds: number;
  /** The same on a GPU through WebGPU, from the measured WebGPU/CPU ratio; null when the GPU was what was timed. */
  gpuSeconds: number | null;
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
  decision: 'auto',
  folds: 5,
  repeats: 2,
  searchSeconds: 120,
};

/** What a wrong decision costs, per class, in the user's own units (only the ratio matters). */
export interface DecisionCosts {
  /** class → cost of missing a document of it (predicting something else). */
  miss: Record<string, number>;
  /** class → cost of a false alarm (predicting it for a document of another class). */
  falseAlarm: Record<string, number>;
}

/** 'load': the language model is being loaded (nothing to count, so no bar and no time left). */
export type TrainPhase = 'prepare' | 'load' | 'embed' | 'words' | 'search' | 'train' | 'calibrate' | 'evaluate' | 'done';

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
  /** Fewer than 5 positives behind the interval: it is shown as "too few to tell", not as a range. */
  tooFewToTell?: boolean;
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
  /** 95% percentile-bootstrap interval of macro-F1 over the test documents. */
  f1_macro_interval?: [number, number];
  f1_micro: number;
  f1_weighted: number;
  per_class: Record<string, PerClassMetrics>;
  confusion_matrix?: { labels: string[]; matrix: number[][] };
  thresholds?: Record<string, number>;
  ece: number;
  calibration?: CalibrationBin[];
  strategy: ResolvedStrategy;
  n_train: number;
  /** Training documents of each class (the verdict sizes its "label N more" advice from them). */
  train_counts?: Record<string, number>;
  n_val: number;
  n_test: number;
  /** Reviewed synthetic examples: how many trained, and how many were left out because one of their source
   * documents landed in validation or test (their text would leak into training). Absent when there were none. */
  synthetic?: { used: number; droppedForLeakage: number };
  /** How settings, regularisation and thresholds were chosen, and the strategy search's evidence when it ran. */
  selection?: SelectionReport;
  /** With a review budget or costs: the automatic part's expected quality and what goes to a person. */
  review?: ReviewSplit;
  seconds: { embed: number; train: number; eval: number; search?: number };
}

/** A mean with its 95% interval. */
export interface Estimate {
  mean: number;
  low: number;
  high: number;
}

export interface CandidateScore {
  /** e.g. "weighted (inverse) + tuned thresholds". */
  name: string;
  settings: { strategy: StrategyName; weights?: WeightScheme; gamma?: number; sampling: SamplingKind; synthetic: boolean; decision: 'argmax' | 'tuned' };
  /** Out-of-fold macro-F1 over the training documents: mean over repeats, 95% bootstrap interval over documents. */
  f1_macro: Estimate & { seedSpread: number };
  /** The same per class; tooFewToTell when the class has fewer than 5 training documents. */
  per_class: Record<string, Estimate & { tooFewToTell?: boolean }>;
  /** Paired difference to the best candidate, in macro-F1, with its bootstrap standard error. */
  behindBest?: { difference: number; standardError: number };
  complexity: number;
  /** Repeats of the cross-validation behind the figures (the search stops measuring a candidate clearly behind). */
  repeats: number;
}

export interface StrategySearchReport {
  task: TaskKind;
  folds: number;
  repeats: number;
  /** Training documents the folds were drawn from (the test split is never read). */
  documents: number;
  /**
   * The features and the scikit-learn-style C of the L2 penalty, chosen by cross-validation of the balanced
   * baseline: each feature set's C by the one-standard-error rule, then the feature set that scored higher.
   */
  regularization: {
    c: number;
    /** Whether the word (TF-IDF) features are used beside the embedding. */
    words: boolean;
    tried: Array<{ c: number; words: boolean; f1_macro: number; logLoss: number }>;
    embeddingOnly: { c: number; f1_macro: number };
    withWords?: { c: number; f1_macro: number };
  };
  candidates: CandidateScore[];
  /** Candidates the time budget left out. */
  notTried: string[];
  pick: { name: string; reason: string };
  seconds: number;
}

export interface SelectionReport {
  /** 'cross-validation': stratified k-fold on the training split, then a refit on all of it. 'validation': the held-out validation split (MLP head). */
  method: 'cross-validation' | 'validation';
  /** Why this method, in plain words. */
  reason: string;
  folds?: number;
  repeats?: number;
  /** Documents kept in one fold with similar ones (likely the same source), and the largest such group. */
  sourceGroups?: { documents: number; largest: number };
  search?: StrategySearchReport;
  /** With tryFineTune: fine-tuning the encoder's top layer measured beside the search's pick. */
  fineTune?: FineTuneComparison;
}

/**
 * "Fine-tune top-1" beside the frozen head's pick, on the same held-out training documents (the head's side is its
 * out-of-fold predictions), with 95% paired-bootstrap intervals; chosen only when the difference's interval is above 0.
 */
export type FineTuneComparison =
  | { tried: true; documents: number; fineTuned: Estimate; head: Estimate; difference: Estimate; seconds: number; chosen: boolean }
  | { tried: false; reason: string };

export interface ReviewSplit {
  /** Share of test documents decided automatically. */
  automaticShare: number;
  /** Documents whose top probability is below this go to a person. */
  confidenceBelow: number;
  /** Expected quality of the automatic part, measured on held-out (test) predictions. */
  automatic: { documents: number; f1_macro: number; per_class: Record<string, { precision: number; recall: number; support: number }> };
  toReview: number;
}

export type SamplingKind = 'none' | 'oversample' | 'undersample' | 'oversample+undersample';

export interface ResolvedStrategy {
  name: StrategyName;
  loss: 'cross_entropy' | 'weighted_cross_entropy' | 'focal' | 'bce' | 'focal_bce';
  weights?: WeightScheme;
  classWeights?: Record<string, number>;
  gamma?: number;
  sampling: SamplingKind;
  head: HeadKind;
  epochs: number;
  seed: number;
  backend: string;
  encoder: string;
  temperature?: number;
  /** Per-class prior correction added after the temperature (see calibrate.ts). */
  calibrationBias?: Record<string, number>;
  /** Single-label decisions: argmax over classes of scale · probability − shift (multi-label: the thresholds). */
  decision?: { mode: 'argmax' | 'tuned' | 'costs'; scale?: Record<string, number>; shift?: Record<string, number> };
  /** L2 strength of the linear head (scikit-learn's C). */
  regularization?: number;
  /** For 'auto': the rule table's suggestion (the search's prior, and what was followed when the search did not run). */
  auto?: Recommendation;
  /** Whether TF-IDF features of the tokenizer ids fed the head beside the embedding, and how many. */
  lexical?: { enabled: boolean; features: number };
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** A rename, merge or delete of a label, as the taxonomy's undo history lists it. */
export interface TaxonomyChange {
  id: number;
  kind: 'rename' | 'merge' | 'delete';
  /** In words: 'merged "refund" into "billing"'. */
  summary: string;
  createdAt: string;
}

export interface RunSummary {
  id: number;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  settings: TrainSettings;
  f1Macro: number | null;
  error: string | null;
  /** Labels or documents changed after this run finished: its figures describe older data. */
  dataChanged: boolean;
}

export interface PredictionRow {
  documentId?: number;
  /** Where the document came from when predicting files: the row number, or the path inside the folder. */
  source?: string;
  text: string;
  /** Sentence-pair models: the second text (`text` is the first). */
  pair?: string;
  trueLabels?: string[];
  predicted: string[];
  probabilities: Record<string, number>;
  /** With a review budget: the model is not sure enough, a person should decide. */
  needsReview?: boolean;
  /** Why this label (occlusion, shared/explain.ts), when it was asked for. */
  explanation?: Explanation;
}
