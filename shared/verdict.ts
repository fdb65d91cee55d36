// The plain verdict that leads every result: one light per class and one sentence that always names the next action.
// The thresholds are the ones documented in the README ("Reading the verdict"):
// - reliable (green): F1 at least 0.80 and the low end of its 95% interval at least 0.70;
// - usable with care (amber): F1 at least 0.60, or a reliable F1 whose interval reaches below 0.70;
// - not reliable yet (red): F1 below 0.60;
// - too few to tell (grey): fewer than 10 test documents of the class (SMALL_SUPPORT).
// "Label about N more": as many again as the class has in training, at least 20. A rare class's F1 grows roughly
// with the logarithm of its examples, so doubling them is the smallest step likely to show.
import type { PerClassMetrics, RunMetrics } from './domain.js';
import { SMALL_SUPPORT } from './metrics.js';

export const RELIABLE_F1 = 0.8;
export const RELIABLE_LOW = 0.7;
export const USABLE_F1 = 0.6;
export const MIN_MORE_LABELS = 20;

export type Light = 'reliable' | 'care' | 'unreliable' | 'too_few';

export interface ClassVerdict {
  label: string;
  light: Light;
  /** e.g. "finds 7 of 8 (recall 88%), and 9 of 10 it flags are right (precision 90%)". */
  detail: string;
  /** Labels to add for this class, when it is not reliable. */
  moreLabels?: number;
}

export interface Verdict {
  /** One or two sentences: what works, what does not, and the next action. */
  sentence: string;
  classes: ClassVerdict[];
  /** The next action, also inside the sentence. */
  next: string;
}

export const percent = (x: number): string => `${Math.round(x * 100)}%`;

function lightOf(c: PerClassMetrics): Light {
  if (c.support < SMALL_SUPPORT) return 'too_few';
  const low = c.f1Interval?.[0] ?? c.f1;
  if (c.f1 >= RELIABLE_F1 && low >= RELIABLE_LOW) return 'reliable';
  if (c.f1 >= USABLE_F1) return 'care';
  return 'unreliable';
}

function detailOf(c: PerClassMetrics): string {
  const found = Math.round(c.recall * c.support);
  const flagged = c.precision > 0 ? Math.round(found / c.precision) : 0;
  const finds = `finds ${found} of ${c.support} (recall ${percent(c.recall)})`;
  return flagged > 0 ? `${finds}, and ${found} of the ${flagged} it flags are right (precision ${percent(c.precision)})` : `${finds}, and flags none correctly`;
}

const list = (names: string[]): string => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);

/** The verdict of a run; trainCounts (documents per class in training) sizes the "label N more" advice. */
export function verdictOf(metrics: Pick<RunMetrics, 'labels' | 'per_class'>, trainCounts: Record<string, number> = {}): Verdict {
  const classes: ClassVerdict[] = metrics.labels.map((label) => {
    const c = metrics.per_class[label];
    const light = lightOf(c);
    const more = light === 'reliable' ? undefined : Math.max(MIN_MORE_LABELS, trainCounts[label] ?? 0);
    return { label, light, detail: detailOf(c), ...(more !== undefined ? { moreLabels: more } : {}) };
  });
  const named = (light: Light) => classes.filter((c) => c.light === light);
  const parts: string[] = [];
  if (named('reliable').length) parts.push(`Reliable for ${list(named('reliable').map((c) => c.label))}.`);
  if (named('care').length) parts.push(`Usable with care for ${list(named('care').map((c) => c.label))}: check its decisions before relying on them.`);
  for (const c of named('unreliable')) parts.push(`Not reliable yet for ${c.label}: it ${c.detail.split(',')[0]}.`);
  if (named('too_few').length) parts.push(`Too few test documents to tell for ${list(named('too_few').map((c) => c.label))} (fewer than ${SMALL_SUPPORT} each).`);
  // The weakest class decides the next action.
  const weakest = named('unreliable')[0] ?? named('too_few')[0] ?? named('care')[0];
  const next = !weakest
    ? 'Ready to use: try it on new documents in Use, or export it.'
    : weakest.light === 'too_few'
      ? `Label about ${weakest.moreLabels} more ${weakest.label} documents so the test can tell; until then, the strategy's cross-validated estimate is the better guide.`
      : `Label about ${weakest.moreLabels} more ${weakest.label} documents, then train again.`;
  parts.push(next);
  return { sentence: parts.join(' '), classes, next };
}
