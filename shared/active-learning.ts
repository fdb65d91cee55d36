// Which unlabeled documents to label next: those the model is most torn about (the smallest margin between its two
// likeliest classes, or the highest entropy), with a boost for documents likely to belong to a rare class, since
// a rare class gains most from each new label. The reason is said in words.

export type Uncertainty = 'margin' | 'entropy';

export interface Suggestion {
  /** Position in the input. */
  index: number;
  score: number;
  /** e.g. "the model is torn between spam 48% and hard_ham 44%". */
  reason: string;
}

const pct = (p: number) => `${Math.round(p * 100)}%`;

/**
 * Ranks documents by uncertainty × (1 + p(rare classes)); rare classes are those with less than half an even share
 * of the training documents. Highest score first.
 */
export function suggestNext(probabilities: number[][], labels: string[], trainCounts: number[], { measure = 'margin' as Uncertainty, count = 20 } = {}): Suggestion[] {
  const total = trainCounts.reduce((a, b) => a + b, 0);
  const rare = trainCounts.map((n) => total > 0 && n / total < 0.5 / labels.length);
  const ranked = probabilities.map((p, index) => {
    const order = p.map((_, c) => c).sort((a, b) => p[b] - p[a]);
    const [first, second] = [order[0], order[1] ?? order[0]];
    const uncertainty = measure === 'margin' ? 1 - (p[first] - p[second]) : -p.reduce((s, x) => (x > 0 ? s + x * Math.log(x) : s), 0) / Math.log(Math.max(2, p.length));
    const rareMass = p.reduce((s, x, c) => (rare[c] ? s + x : s), 0);
    const score = uncertainty * (1 + rareMass);
    const rareNote = rareMass >= 0.2 ? `; it may be a rare ${labels[order.find((c) => rare[c]) ?? first]}` : '';
    return { index, score, reason: `the model is torn between ${labels[first]} ${pct(p[first])} and ${labels[second]} ${pct(p[second])}${rareNote}` };
  });
  return ranked.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, count);
}
