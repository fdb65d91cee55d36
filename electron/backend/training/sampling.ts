// How often each training example counts. Each balancing group (the class; multi-label: the example's rarest
// label) is brought to a target size, every member counting ⌊target / size⌋ times and a seeded random subset one
// time more, so repetition is as even as it can be: oversample targets the largest group, undersample the smallest,
// and both together their geometric mean (rare groups repeated, common ones thinned). The full-batch linear head
// uses the counts as they are; the MLP head draws a fresh set every epoch (so undersampling sees most of the
// majority across epochs).
import type { SamplingKind } from '../../../shared/domain.js';
import { createRng, shuffleInPlace } from '../../../shared/random.js';

/**
 * The group each example is balanced by. Single-label: its class. Multi-label: its rarest label (the one with the
 * fewest training examples), or a group of its own for examples with no label.
 */
export function samplingGroups(exampleLabels: number[][], classCounts: number[]): number[] {
  const noLabelGroup = classCounts.length;
  return exampleLabels.map((labels) => {
    if (labels.length === 0) return noLabelGroup;
    return labels.reduce((rarest, c) => (classCounts[c] < classCounts[rarest] || (classCounts[c] === classCounts[rarest] && c < rarest) ? c : rarest));
  });
}

/** Times each example counts under the sampling (1 each for 'none'). */
export function samplingCounts(sampling: SamplingKind, groups: number[], seed: number): Float64Array {
  const counts = new Float64Array(groups.length).fill(1);
  if (sampling === 'none') return counts;
  const members = new Map<number, number[]>();
  groups.forEach((g, r) => {
    const list = members.get(g);
    if (list) list.push(r);
    else members.set(g, [r]);
  });
  const sizes = [...members.values()].map((list) => list.length);
  const target =
    sampling === 'oversample'
      ? Math.max(...sizes)
      : sampling === 'undersample'
        ? Math.min(...sizes)
        : Math.round(Math.exp(sizes.reduce((s, n) => s + Math.log(n), 0) / sizes.length));
  const rng = createRng(seed ^ 0x5a3b1e);
  for (const key of [...members.keys()].sort((a, b) => a - b)) {
    const list = members.get(key)!;
    const each = Math.floor(target / list.length);
    const extra = target - each * list.length;
    for (const r of list) counts[r] = each;
    for (const r of shuffleInPlace([...list], rng).slice(0, extra)) counts[r]++;
  }
  return counts;
}

/** Epoch e's shuffled example indices (each as often as its count); deterministic for a seed. */
export function createEpochSampler(sampling: SamplingKind, groups: number[], seed: number): (epoch: number) => number[] {
  const rng = createRng(seed ^ 0x1e9057);
  return (epoch) => {
    const counts = samplingCounts(sampling, groups, seed + 7919 * epoch);
    const order: number[] = [];
    counts.forEach((n, i) => {
      for (let k = 0; k < n; k++) order.push(i);
    });
    return shuffleInPlace(order, rng);
  };
}
