// Which training examples each epoch visits. Oversampling is a weighted random sampler: every epoch draws N examples
// with replacement, each with probability proportional to 1 / (size of its group), so groups come out balanced in
// expectation. Undersampling draws, every epoch afresh, as many examples of each group as the smallest group has
// (without replacement), so across epochs most of the majority is still seen.
import { createRng, sampleWithReplacement, shuffleInPlace } from '../../../shared/random.js';

export type SamplingMode = 'none' | 'oversample' | 'undersample';

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

/** Returns a function giving epoch e's shuffled example indices; deterministic for a seed when called in epoch order. */
export function createEpochSampler(mode: SamplingMode, groups: number[], seed: number): (epoch: number) => number[] {
  const rng = createRng(seed ^ 0x5a3b1e);
  const members = new Map<number, number[]>();
  groups.forEach((g, i) => {
    const list = members.get(g);
    if (list) list.push(i);
    else members.set(g, [i]);
  });
  const all = groups.map((_, i) => i);
  return () => {
    if (mode === 'oversample') {
      const weights = groups.map((g) => 1 / members.get(g)!.length);
      return sampleWithReplacement(weights, groups.length, rng);
    }
    if (mode === 'undersample') {
      const smallest = Math.min(...[...members.values()].map((list) => list.length));
      const chosen: number[] = [];
      for (const list of members.values()) chosen.push(...shuffleInPlace([...list], rng).slice(0, smallest));
      return shuffleInPlace(chosen, rng);
    }
    return shuffleInPlace([...all], rng);
  };
}
