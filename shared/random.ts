// Seeded randomness: every split, bootstrap and sampler in Finetune takes a seed so a run can be reproduced.

/** A uniform [0, 1) generator (mulberry32): small, fast, and identical on every platform for a given seed. */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n). */
export function randomInt(n: number, rng: () => number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/** Fisher-Yates shuffle; returns the same array for chaining. */
export function shuffleInPlace<T>(a: T[], rng: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1, rng);
    const tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
  return a;
}

/**
 * Draws n indices in [0, weights.length) with probability proportional to weights (with replacement),
 * by binary search over the cumulative weights. Negative or non-finite weights count as 0.
 */
export function sampleWithReplacement(weights: number[], n: number, rng: () => number): number[] {
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    total += Number.isFinite(w) && w > 0 ? w : 0;
    cumulative[i] = total;
  }
  if (total <= 0) throw new Error('sampleWithReplacement: every weight is zero, nothing can be drawn');
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    const target = rng() * total;
    let lo = 0;
    let hi = weights.length - 1;
    // First index whose cumulative weight exceeds target; zero-weight entries are never chosen.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    out[k] = lo;
  }
  return out;
}
