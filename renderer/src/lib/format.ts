// Numbers as the user reads them: fixed decimals, meaning attached, 0/0 shown as "undefined".
import type { FineTuneEstimate, PerClassMetrics, StrategyName, TrainPhase, WeightScheme } from '../../../shared/domain.js';

export const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '—');
export const percent = (share: number, digits = 0): string => `${(share * 100).toFixed(digits)}%`;
export const count = (n: number, noun: string, plural = `${noun}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;

/** Precision, recall or F1, where a 0/0 is reported as 0 by the backend but means "no evidence either way". */
export function metricText(metrics: PerClassMetrics, key: 'precision' | 'recall' | 'f1'): string {
  if (key === 'precision' && metrics.undefinedPrecision) return 'undefined';
  if (key === 'recall' && metrics.undefinedRecall) return 'undefined';
  if (key === 'f1' && metrics.undefinedPrecision && metrics.undefinedRecall) return 'undefined';
  return fixed(metrics[key]);
}

/** Fewer test documents than this and a headline figure is not worth trusting. */
export const TRUSTWORTHY_TEST_SIZE = 30;

export function trustNote(nTest: number): string {
  if (nTest < TRUSTWORTHY_TEST_SIZE) return `on ${count(nTest, 'test document')}: too few to trust`;
  return `on ${count(nTest, 'test document')}`;
}

export const STRATEGY_TEXT: Record<StrategyName, { title: string; sentence: string }> = {
  none: { title: 'Plain training', sentence: 'Every document counts the same; best when the classes are roughly balanced.' },
  weighted: { title: 'Weighted classes', sentence: 'Mistakes on rare classes cost more, so the model cannot ignore them; cheap and stable.' },
  focal: { title: 'Focal loss', sentence: 'The model spends its effort on the documents it still gets wrong, so easy common ones stop dominating.' },
  oversample: { title: 'Repeat rare documents', sentence: 'Documents of rare classes are shown more often during training.' },
  undersample: { title: 'Use fewer common documents', sentence: 'Part of the largest classes is left out of training; fast on very large data, wasteful on small data.' },
  'oversample+undersample': { title: 'Repeat rare and thin common documents', sentence: 'Rare classes are repeated and the largest ones thinned until every class counts about the same.' },
  'focal+oversample': { title: 'Focal loss + repeat rare documents', sentence: 'Both of the above, for severe imbalance where rare documents are otherwise seen too seldom.' },
  'synthetic+oversample': { title: 'Synthetic examples + repeat rare documents', sentence: 'Adds reviewed variants of the few rare examples and shows them more often, when there is too little to learn from.' },
};

export const strategyTitle = (name: StrategyName | 'auto'): string =>
  name === 'auto' ? 'Automatic (the best of every strategy, measured on your data)' : STRATEGY_TEXT[name].title;

export const WEIGHT_TEXT: Record<WeightScheme, string> = {
  inverse: 'Inverse frequency (strongest)',
  sqrt_inverse: 'Square root of inverse (gentler)',
  effective: 'Effective number (Cui et al.)',
};

export const PHASE_TEXT: Record<TrainPhase, string> = {
  prepare: 'Preparing the documents',
  load: 'Loading the language model',
  embed: 'Reading the documents (turning text into numbers)',
  words: 'Counting the words that tell the classes apart',
  search: 'Trying every strategy on parts of your data',
  train: 'Learning from the labeled documents',
  calibrate: 'Calibrating the confidence scores',
  evaluate: 'Testing on documents kept aside',
  done: 'Finished',
};

export function durationText(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'estimating time left…';
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}

/** "about 6 min" / "about 40 s": a span of time, not time left. */
export function spanText(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

/** What a fine-tuning estimate means, in one sentence a non-engineer can act on. */
export function estimateText(e: FineTuneEstimate): string {
  const where = e.backend === 'webgpu' ? "this computer's GPU" : "this computer's processor";
  const gpu = e.gpuSeconds !== null ? `; a GPU would take ${spanText(e.gpuSeconds)}` : '';
  const run = e.depth === 'contrastive'
    ? `one step over ${e.batchSize} pairs of your documents took ${e.secondsPerStep.toFixed(1)} s, and the run takes ${e.steps} steps`
    : `one step over ${e.batchSize} of your documents took ${e.secondsPerStep.toFixed(1)} s, and the run takes ${e.steps} steps (${e.epochs} passes over the training documents)`;
  return `${spanText(e.seconds)} on ${where}${gpu}. Measured here: ${run}.`;
}

export const fileName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

/** Where a document came from: "tickets.csv, row 7" or "mail/2024/a.eml". */
export function sourceText(doc: { sourceFile: string; sourceRef: string }): string {
  if (!doc.sourceRef) return fileName(doc.sourceFile);
  return /^\d+$/.test(doc.sourceRef) ? `${fileName(doc.sourceFile)}, row ${doc.sourceRef}` : `${fileName(doc.sourceFile)}, ${doc.sourceRef}`;
}
