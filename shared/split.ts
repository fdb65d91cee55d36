// Train / validation / test splits: stratified by class, iterative stratification for multi-label
// (Sechidis, Tsoumakas & Vlahavas 2011), near-duplicate groups kept whole, deterministic for a seed.
import { createRng, shuffleInPlace } from './random.js';

export interface SplitInput {
  /** Class indices per item: [c] for single-label, any number for multi-label. */
  labels: number[][];
  /** Group key per item (e.g. nearDuplicateKey); items sharing a key always land in the same split. */
  groups?: string[];
  valFraction: number;
  testFraction: number;
  seed: number;
  multiLabel: boolean;
}

export interface SplitIndices {
  train: number[];
  val: number[];
  test: number[];
}

/** Part indices of a train / validation / test split (training is part 0). */
const VAL = 1;
const TEST = 2;

/** A group of items that must stay together, with how many of its items carry each label. */
interface Unit {
  items: number[];
  labelCounts: Map<number, number>;
}

function buildUnits(labels: number[][], groups: string[] | undefined): Unit[] {
  const units: Unit[] = [];
  const byKey = new Map<string, Unit>();
  labels.forEach((itemLabels, i) => {
    const key = groups?.[i];
    let unit = key !== undefined ? byKey.get(key) : undefined;
    if (!unit) {
      unit = { items: [], labelCounts: new Map() };
      units.push(unit);
      if (key !== undefined) byKey.set(key, unit);
    }
    unit.items.push(i);
    for (const c of new Set(itemLabels)) unit.labelCounts.set(c, (unit.labelCounts.get(c) ?? 0) + 1);
  });
  return units;
}

/**
 * Splits item indices into train / val / test.
 * Both tasks use iterative stratification over units (a near-duplicate group is one unit): the label with the fewest
 * unassigned examples is handled first and each of its units goes to the split that still wants most of that label
 * (ties: the split that wants most items overall, then random). For single-label data this amounts to a per-class
 * stratified split. Before that, every label with at least 3 examples in at least 3 units gets one unit in test and
 * one in val (when those fractions are non-zero), rarest label first, so each can be evaluated.
 */
export function stratifiedSplit(input: SplitInput): SplitIndices {
  const { labels, groups, valFraction, testFraction, seed } = input;
  if (!(valFraction >= 0 && testFraction >= 0 && valFraction + testFraction < 1)) {
    throw new Error(`split: fractions must be >= 0 and leave room for training (val ${valFraction}, test ${testFraction})`);
  }
  checkLabels(input);
  const [train, val, test] = partition(labels, groups, [1 - valFraction - testFraction, valFraction, testFraction], seed, [TEST, VAL]);
  return { train, val, test };
}

export interface KFoldInput {
  labels: number[][];
  groups?: string[];
  folds: number;
  seed: number;
  multiLabel: boolean;
}

/**
 * k disjoint folds of the items, by the same iterative stratification over near-duplicate groups (each fold gets
 * about 1/k of every label; a group never straddles folds). Cross-validation trains on k − 1 folds and predicts the
 * held-out one, so every item gets one out-of-fold prediction.
 */
export function stratifiedKFold(input: KFoldInput): number[][] {
  if (!Number.isInteger(input.folds) || input.folds < 2) throw new Error(`k-fold: need at least 2 folds, got ${input.folds}`);
  checkLabels(input);
  return partition(input.labels, input.groups, new Array<number>(input.folds).fill(1 / input.folds), input.seed, []);
}

function checkLabels(input: { labels: number[][]; groups?: string[]; multiLabel: boolean }): void {
  const { labels, groups } = input;
  if (groups && groups.length !== labels.length) {
    throw new Error(`split: ${labels.length} items but ${groups.length} group keys`);
  }
  if (!input.multiLabel) {
    labels.forEach((l, i) => {
      if (l.length !== 1) throw new Error(`split: single-label item ${i} has ${l.length} labels, expected exactly one`);
    });
  }
}

/**
 * Iterative stratification of units into parts of the given fractions. `guaranteed` parts (in order) first get one
 * unit of every label that has at least 3 units, keeping one for the first part.
 */
function partition(labels: number[][], groups: string[] | undefined, fractions: number[], seed: number, guaranteed: number[]): number[][] {
  const rng = createRng(seed);
  const units = shuffleInPlace(buildUnits(labels, groups), rng);
  const parts = fractions.length;

  // Desired items per part overall and per label; decremented as units are assigned.
  const labelTotals = new Map<number, number>();
  for (const u of units) for (const [c, n] of u.labelCounts) labelTotals.set(c, (labelTotals.get(c) ?? 0) + n);
  const wantItems = fractions.map((f) => f * labels.length);
  const wantLabel = fractions.map((f) => new Map([...labelTotals].map(([c, n]) => [c, f * n])));
  const remaining = new Map(labelTotals);
  const unitsOfLabel = new Map<number, Unit[]>();
  for (const u of units) {
    for (const c of u.labelCounts.keys()) {
      const list = unitsOfLabel.get(c);
      if (list) list.push(u);
      else unitsOfLabel.set(c, [u]);
    }
  }

  const assignment = new Map<Unit, number>();
  const assign = (u: Unit, part: number) => {
    assignment.set(u, part);
    wantItems[part] -= u.items.length;
    for (const [c, n] of u.labelCounts) {
      wantLabel[part].set(c, (wantLabel[part].get(c) ?? 0) - n);
      remaining.set(c, (remaining.get(c) ?? 0) - n);
    }
  };
  const unassignedOf = (c: number) => (unitsOfLabel.get(c) ?? []).filter((u) => !assignment.has(u));
  const labelsRarestFirst = [...labelTotals.keys()].sort((a, b) => labelTotals.get(a)! - labelTotals.get(b)! || a - b);

  // Guarantee pass: one unit per guaranteed part for each label that can spare them, keeping one for the first part.
  for (const c of labelsRarestFirst) {
    if (labelTotals.get(c)! < 3) continue;
    for (const part of guaranteed) {
      if (fractions[part] === 0) continue;
      const hasIt = [...assignment].some(([u, s]) => s === part && u.labelCounts.has(c));
      const free = unassignedOf(c);
      if (!hasIt && free.length >= 2) assign(free.reduce((a, b) => (b.items.length < a.items.length ? b : a)), part);
    }
  }

  const choosePart = (c: number | null): number => {
    let best: number[] = [];
    let bestKey: [number, number] = [-Infinity, -Infinity];
    for (let s = 0; s < parts; s++) {
      if (fractions[s] === 0) continue;
      const key: [number, number] = [c === null ? 0 : wantLabel[s].get(c)!, wantItems[s]];
      const cmp = key[0] - bestKey[0] || key[1] - bestKey[1];
      if (cmp > 0) {
        best = [s];
        bestKey = key;
      } else if (cmp === 0) best.push(s);
    }
    return best.length === 1 ? best[0] : best[Math.floor(rng() * best.length)];
  };

  // Iterative stratification: rarest remaining label first.
  for (;;) {
    let label: number | null = null;
    for (const [c, n] of remaining) {
      if (n > 0 && (label === null || n < remaining.get(label)! || (n === remaining.get(label)! && c < label))) label = c;
    }
    if (label === null) break;
    for (const u of unassignedOf(label)) assign(u, choosePart(label));
  }
  // Units without any label follow the overall sizes.
  for (const u of units) if (!assignment.has(u)) assign(u, choosePart(null));

  const out: number[][] = Array.from({ length: parts }, () => []);
  for (const [u, s] of assignment) out[s].push(...u.items);
  for (const list of out) list.sort((a, b) => a - b);
  return out;
}
