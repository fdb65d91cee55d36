// Documents that probably share a source — passages of one book, messages of one thread or sender — are kept in
// one cross-validation fold. Otherwise the folds reward the source's own words (names, topics) and the search
// picks weak regularisation that does not carry over to new sources: on Brown passages, folds that mixed a book's
// passages estimated macro-F1 0.60 where held-out books gave 0.35 (docs/experiments.md).
//
// Similarity is the TF-IDF cosine restricted to rarer words (in at most RARE_DF training documents), the words that
// mark a source. Two documents are linked when each is among the other's MUTUAL_NEIGHBOURS most similar and the
// similarity is above what random pairs reach (their 99.5th percentile). Links are merged strongest first into
// groups of at most maxGroup documents, so false links cannot chain the collection together.
//
// It is an option (settings.groupSimilar), off by default: when new documents come from the same sources as the
// training ones (and the app's own test split is by document), keeping sources together makes the search
// pessimistic and it chose worse settings (docs/experiments.md has both measurements).
import { createRng, randomInt } from '../../../../shared/random.js';
import type { SparseRows } from '../lexical.js';

// Chosen on the Brown training files (development data: file-grouped folds as the reference), see
// docs/experiments.md: these settings chose the regularisation that file-grouped folds chose.
const RARE_DF = 100;
const MUTUAL_NEIGHBOURS = 10;
const NULL_QUANTILE = 0.995;
const NULL_PAIRS = 20_000;
/** Links weaker than this never count, whatever random pairs reach. */
const MIN_SIMILARITY = 0.03;

export interface SourceGroups {
  /** Group index of each given row (the same index for rows that stay together). */
  group: Int32Array;
  /** Rows placed in a group with at least one other row. */
  grouped: number;
  largest: number;
  threshold: number;
}

class UnionFind {
  readonly parent: Int32Array;
  readonly size: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
    this.size = new Int32Array(n).fill(1);
  }
  find(a: number): number {
    while (this.parent[a] !== a) {
      this.parent[a] = this.parent[this.parent[a]];
      a = this.parent[a];
    }
    return a;
  }
  /** Merges unless the merged group would exceed maxSize (or force). */
  union(a: number, b: number, maxSize: number, force = false): boolean {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return true;
    if (!force && this.size[ra] + this.size[rb] > maxSize) return false;
    if (this.size[ra] < this.size[rb]) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] += this.size[rb];
    return true;
  }
}

export interface SourceGroupOptions {
  /** Largest group, in documents. */
  maxGroup: number;
  seed: number;
}

/**
 * Groups of likely same-source documents among `rows` (feature rows of `lexical`). `together` lists rows that must
 * share a group whatever their similarity (near-duplicates: same key).
 */
export function sourceGroups(lexical: SparseRows | undefined, rows: number[], together: string[], options: SourceGroupOptions): SourceGroups {
  const { maxGroup, seed } = options;
  const n = rows.length;
  const uf = new UnionFind(n);
  const firstOfKey = new Map<string, number>();
  together.forEach((key, i) => {
    const first = firstOfKey.get(key);
    if (first === undefined) firstOfKey.set(key, i);
    else uf.union(first, i, Infinity, true);
  });
  let threshold = Infinity;
  if (lexical && n > 2) {
    // Rare columns and their postings over the given rows.
    const df = new Int32Array(lexical.nCols);
    for (const row of rows) for (let p = lexical.rowPtr[row]; p < lexical.rowPtr[row + 1]; p++) df[lexical.cols[p]]++;
    const postingStart = new Int32Array(lexical.nCols + 1);
    for (let c = 0; c < lexical.nCols; c++) postingStart[c + 1] = postingStart[c] + (df[c] >= 2 && df[c] <= RARE_DF ? df[c] : 0);
    const postingRow = new Int32Array(postingStart[lexical.nCols]);
    const postingValue = new Float32Array(postingStart[lexical.nCols]);
    const fill = postingStart.slice(0, lexical.nCols);
    rows.forEach((row, i) => {
      for (let p = lexical.rowPtr[row]; p < lexical.rowPtr[row + 1]; p++) {
        const c = lexical.cols[p];
        if (df[c] < 2 || df[c] > RARE_DF) continue;
        postingRow[fill[c]] = i;
        postingValue[fill[c]++] = lexical.values[p];
      }
    });
    const rareSimilarity = (a: number, b: number): number => {
      let s = 0;
      let p = lexical.rowPtr[rows[a]];
      let q = lexical.rowPtr[rows[b]];
      const pe = lexical.rowPtr[rows[a] + 1];
      const qe = lexical.rowPtr[rows[b] + 1];
      while (p < pe && q < qe) {
        const ca = lexical.cols[p];
        const cb = lexical.cols[q];
        if (ca === cb) {
          if (df[ca] >= 2 && df[ca] <= RARE_DF) s += lexical.values[p] * lexical.values[q];
          p++;
          q++;
        } else if (ca < cb) p++;
        else q++;
      }
      return s;
    };
    // What unrelated documents reach: random pairs, nearly all of which share no source.
    const rng = createRng(seed ^ 0x9e3779b9);
    const nullSample: number[] = [];
    for (let t = 0; t < Math.min(NULL_PAIRS, (n * (n - 1)) / 2); t++) {
      const a = randomInt(n, rng);
      let b = randomInt(n - 1, rng);
      if (b >= a) b++;
      nullSample.push(rareSimilarity(a, b));
    }
    nullSample.sort((x, y) => x - y);
    threshold = Math.max(MIN_SIMILARITY, nullSample[Math.floor(NULL_QUANTILE * (nullSample.length - 1))] ?? 0);
    // Each row's strongest neighbours, through the postings of its rare words.
    const accumulator = new Float64Array(n);
    const touched: number[] = [];
    const neighbours: Array<Array<{ j: number; s: number }>> = [];
    for (let a = 0; a < n; a++) {
      const row = rows[a];
      for (let p = lexical.rowPtr[row]; p < lexical.rowPtr[row + 1]; p++) {
        const c = lexical.cols[p];
        if (df[c] < 2 || df[c] > RARE_DF) continue;
        const v = lexical.values[p];
        for (let k = postingStart[c]; k < postingStart[c + 1]; k++) {
          const b = postingRow[k];
          if (b === a) continue;
          if (accumulator[b] === 0) touched.push(b);
          accumulator[b] += v * postingValue[k];
        }
      }
      const best = touched
        .filter((b) => accumulator[b] >= threshold)
        .map((b) => ({ j: b, s: accumulator[b] }))
        .sort((x, y) => y.s - x.s)
        .slice(0, MUTUAL_NEIGHBOURS);
      neighbours.push(best);
      for (const b of touched) accumulator[b] = 0;
      touched.length = 0;
    }
    const edges: Array<{ a: number; b: number; s: number }> = [];
    neighbours.forEach((list, a) => {
      for (const { j: b, s } of list) if (a < b && neighbours[b].some((x) => x.j === a)) edges.push({ a, b, s });
    });
    edges.sort((x, y) => y.s - x.s);
    for (const e of edges) uf.union(e.a, e.b, maxGroup);
  }
  const roots = new Map<number, number>();
  const group = new Int32Array(n);
  let grouped = 0;
  let largest = 1;
  for (let i = 0; i < n; i++) {
    const root = uf.find(i);
    if (!roots.has(root)) roots.set(root, roots.size);
    group[i] = roots.get(root)!;
    if (uf.size[root] > 1) grouped++;
    largest = Math.max(largest, uf.size[root]);
  }
  return { group, grouped, largest, threshold };
}
