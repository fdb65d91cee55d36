// The fine-tuning candidate's result in one sentence, for every place that reports the run (the CLI, Results, the
// report): both scores with their intervals, the difference, and what was kept.
import type { FineTuneComparison } from './domain.js';

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const points = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x * 100))}`;

export function fineTuneSentence(c: FineTuneComparison): string {
  if (!c.tried) return `Fine-tuning the top layer was not measured: ${c.reason}.`;
  return `Fine-tuning the top layer was measured beside it on ${c.documents} held-out training documents: macro-F1 ${pct(c.fineTuned.mean)} ` +
    `(${pct(c.fineTuned.low)}–${pct(c.fineTuned.high)}) against the frozen head's ${pct(c.head.mean)} (${pct(c.head.low)}–${pct(c.head.high)}), ` +
    `a difference of ${points(c.difference.mean)} points (${points(c.difference.low)} to ${points(c.difference.high)}): ` +
    (c.chosen ? 'clearly better, so the model was fine-tuned.' : 'not clearly better, so the frozen head was kept.');
}
