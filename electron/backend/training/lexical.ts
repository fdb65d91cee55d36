// Sparse lexical features beside the embedding: TF-IDF over the encoder tokenizer's ids (unigrams and bigrams).
// The recipe is chosen so that ONNX can reproduce it exactly with TfIdfVectorizer + ordinary ops:
//   counts = TfIdfVectorizer(ids; mode "TF", min_gram_length 1, max_gram_length 2, max_skip_count 0,
//                            ngram_counts, ngram_indexes, pool_int64s)        (raw n-gram counts per column)
//   w      = Log(counts + 1) * idf                                           (sublinear tf, times idf)
//   x      = w / Max(ReduceL2(w), NORM_FLOOR)                                (L2 normalised; all-zero rows stay 0)
// idf is sklearn's smooth idf, ln((1 + n) / (1 + df)) + 1, over the training split; the vocabulary is the top-k
// n-grams by document frequency there. A batch of sequences may be padded with PAD_ID (-1), which matches nothing.

export const NORM_FLOOR = 1e-12;
export const PAD_ID = -1;

/** CSR rows: row r's entries are cols/values[rowPtr[r] .. rowPtr[r+1]), columns ascending. */
export interface SparseRows {
  rowPtr: Int32Array;
  cols: Int32Array;
  values: Float32Array;
  nCols: number;
}

/** Everything needed to recompute the features, saved as model/lexical.json. */
export interface LexicalRecipe {
  format: 'finetune-tfidf-v1';
  /** Human-readable statement of the recipe (the formula above). */
  recipe: string;
  minGramLength: 1;
  maxGramLength: 2;
  maxSkipCount: 0;
  /** ONNX TfIdfVectorizer attributes: pool start of unigrams and of bigrams. */
  ngramCounts: [number, number];
  /** Output column of each n-gram in the pool (unigrams first, then bigrams). */
  ngramIndexes: number[];
  /** Unigram ids, then bigram id pairs flattened. */
  poolInt64s: number[];
  /** idf per output column. */
  idf: number[];
  padId: number;
  normFloor: number;
  trainingDocuments: number;
}

export interface LexicalOptions {
  /** Keep at most this many n-grams (by document frequency on the training split). */
  maxFeatures: number;
  /** Drop n-grams seen in fewer training documents. */
  minDocumentFrequency: number;
}

// 20k columns cross-validated as well as 50k or better on the SpamAssassin and Brown training splits, at half the cost.
export const DEFAULT_LEXICAL_OPTIONS: LexicalOptions = { maxFeatures: 20000, minDocumentFrequency: 2 };

/** Second id of a unigram in the tables below (a bigram's second id is a token id, >= 0). */
const UNIGRAM = -2;
const EMPTY = -1;

/**
 * Open-addressing hash table of n-grams (first id, second id or UNIGRAM) → slot, all in Int32Arrays: on 8M tokens
 * a Map keyed by a combined number (a boxed double for bigrams) is several times slower.
 */
export class NgramTable {
  first: Int32Array;
  second: Int32Array;
  private mask: number;
  /** Multiplicative hashing keeps the top bits: 32 - log2(capacity). */
  private shift: number;
  size = 0;

  constructor(expected: number) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.first = new Int32Array(capacity).fill(EMPTY);
    this.second = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  private slotOf(a: number, b: number): number {
    let slot = Math.imul(Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 3, 0x85ebca6b), 0x27d4eb2f) >>> this.shift;
    while (this.first[slot] !== EMPTY && (this.first[slot] !== a || this.second[slot] !== b)) slot = (slot + 1) & this.mask;
    return slot;
  }

  /** The slot holding (a, b), or -1. */
  find(a: number, b: number): number {
    const slot = this.slotOf(a, b);
    return this.first[slot] === EMPTY ? -1 : slot;
  }

  /** The slot holding (a, b), inserted if new. Growing moves every entry: onGrow(oldFirst, oldSecond) must remap per-slot data. */
  insert(a: number, b: number, onGrow: (oldFirst: Int32Array, oldSecond: Int32Array) => void): number {
    if ((this.size + 1) * 2 > this.first.length) {
      const oldFirst = this.first;
      const oldSecond = this.second;
      this.first = new Int32Array(oldFirst.length * 2).fill(EMPTY);
      this.second = new Int32Array(oldFirst.length * 2);
      this.mask = this.first.length - 1;
      this.shift--;
      oldFirst.forEach((x, slot) => {
        if (x === EMPTY) return;
        const target = this.slotOf(x, oldSecond[slot]);
        this.first[target] = x;
        this.second[target] = oldSecond[slot];
      });
      onGrow(oldFirst, oldSecond);
    }
    const slot = this.slotOf(a, b);
    if (this.first[slot] === EMPTY) {
      this.first[slot] = a;
      this.second[slot] = b;
      this.size++;
    }
    return slot;
  }
}

function checkIds(ids: ArrayLike<number>, doc: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new Error(`lexical features: document ${doc} has token id ${id}, outside [0, 2^31)`);
  }
}

interface NgramCount {
  first: number;
  second: number;
  df: number;
}

/** Counts, document by document, how many documents contain each unigram and bigram. */
export class DocumentFrequencies {
  private readonly table = new NgramTable(1 << 16);
  private df = new Int32Array(this.table.first.length);
  private lastDoc = new Int32Array(this.table.first.length).fill(-1);
  documents = 0;

  private readonly grow = (oldFirst: Int32Array, oldSecond: Int32Array): void => {
    const df = new Int32Array(this.table.first.length);
    const lastDoc = new Int32Array(this.table.first.length).fill(-1);
    oldFirst.forEach((a, oldSlot) => {
      if (a === EMPTY) return;
      const slot = this.table.find(a, oldSecond[oldSlot]);
      df[slot] = this.df[oldSlot];
      lastDoc[slot] = this.lastDoc[oldSlot];
    });
    this.df = df;
    this.lastDoc = lastDoc;
  };

  add(ids: ArrayLike<number>): void {
    const doc = this.documents++;
    checkIds(ids, doc);
    for (let i = 0; i < ids.length; i++) {
      this.see(ids[i], UNIGRAM, doc);
      if (i + 1 < ids.length) this.see(ids[i], ids[i + 1], doc);
    }
  }

  private see(a: number, b: number, doc: number): void {
    const slot = this.table.insert(a, b, this.grow);
    if (this.lastDoc[slot] !== doc) {
      this.lastDoc[slot] = doc;
      this.df[slot]++;
    }
  }

  counts(): NgramCount[] {
    const out: NgramCount[] = [];
    this.table.first.forEach((a, slot) => {
      if (a !== EMPTY) out.push({ first: a, second: this.table.second[slot], df: this.df[slot] });
    });
    return out;
  }
}

/** Unigrams before bigrams, then by ids: the pool order. */
const poolOrder = (x: NgramCount, y: NgramCount): number =>
  Number(x.second !== UNIGRAM) - Number(y.second !== UNIGRAM) || x.first - y.first || x.second - y.second;

/** Chooses the vocabulary and idf from the training documents' token ids. */
export function fitLexical(trainingIds: ArrayLike<number>[], options: LexicalOptions = DEFAULT_LEXICAL_OPTIONS): LexicalRecipe {
  const frequencies = new DocumentFrequencies();
  for (const ids of trainingIds) frequencies.add(ids);
  return recipeFromFrequencies(frequencies, options);
}

/** The recipe (vocabulary = top-k n-grams by document frequency, smooth idf) from counted training documents. */
export function recipeFromFrequencies(frequencies: DocumentFrequencies, options: LexicalOptions): LexicalRecipe {
  const kept = frequencies.counts()
    .filter((g) => g.df >= options.minDocumentFrequency)
    // Deterministic: most frequent first, ties in pool order.
    .sort((x, y) => y.df - x.df || poolOrder(x, y))
    .slice(0, options.maxFeatures)
    .sort(poolOrder);
  const n = frequencies.documents;
  const poolInt64s: number[] = [];
  const ngramIndexes: number[] = [];
  const idf: number[] = [];
  for (const g of kept) {
    if (g.second === UNIGRAM) poolInt64s.push(g.first);
    else poolInt64s.push(g.first, g.second);
    ngramIndexes.push(idf.length);
    idf.push(Math.log((1 + n) / (1 + g.df)) + 1);
  }
  return {
    format: 'finetune-tfidf-v1',
    recipe: 'x = w / max(||w||2, normFloor), w[j] = ln(1 + count[j]) * idf[j], count = ONNX TfIdfVectorizer mode TF over unigrams+bigrams of the tokenizer ids (full sequence, not clipped); idf[j] = ln((1 + n) / (1 + df[j])) + 1 on the training split',
    minGramLength: 1,
    maxGramLength: 2,
    maxSkipCount: 0,
    ngramCounts: [0, kept.filter((g) => g.second === UNIGRAM).length],
    ngramIndexes,
    poolInt64s,
    idf,
    padId: PAD_ID,
    normFloor: NORM_FLOOR,
    trainingDocuments: n,
  };
}

/** n-gram → output column for a recipe (rebuilt once per recipe). */
export interface ColumnLookup {
  table: NgramTable;
  columnOfSlot: Int32Array;
}

export function columnLookup(recipe: LexicalRecipe): ColumnLookup {
  const unigramCount = recipe.ngramCounts[1];
  const pool = recipe.poolInt64s;
  const ngrams: Array<[number, number]> = pool.slice(0, unigramCount).map((a) => [a, UNIGRAM]);
  for (let p = unigramCount; p < pool.length; p += 2) ngrams.push([pool[p], pool[p + 1]]);
  const table = new NgramTable(ngrams.length);
  const noGrowth = (): void => {
    throw new Error('lexical: lookup table grew although it was sized for its n-grams');
  };
  const columnOfSlot = new Int32Array(table.first.length).fill(-1);
  ngrams.forEach(([a, b], j) => (columnOfSlot[table.insert(a, b, noGrowth)] = recipe.ngramIndexes[j]));
  return { table, columnOfSlot };
}

/** TF-IDF rows for documents' token ids, following the recipe exactly. */
export function transformLexical(recipe: LexicalRecipe, docsIds: ArrayLike<number>[], lookup = columnLookup(recipe)): SparseRows {
  const nCols = recipe.idf.length;
  const rowPtr = new Int32Array(docsIds.length + 1);
  const counts = new Int32Array(nCols);
  const touched: number[] = [];
  let cols = new Int32Array(1 << 16);
  let values = new Float32Array(1 << 16);
  let nnz = 0;
  const bump = (a: number, b: number): void => {
    const slot = lookup.table.find(a, b);
    if (slot < 0) return;
    const column = lookup.columnOfSlot[slot];
    if (counts[column]++ === 0) touched.push(column);
  };
  docsIds.forEach((ids, doc) => {
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === PAD_ID) continue;
      bump(ids[i], UNIGRAM);
      if (i + 1 < ids.length && ids[i + 1] !== PAD_ID) bump(ids[i], ids[i + 1]);
    }
    touched.sort((a, b) => a - b);
    let squares = 0;
    const weights = touched.map((column) => {
      const w = Math.log(1 + counts[column]) * recipe.idf[column];
      squares += w * w;
      return w;
    });
    const norm = Math.max(Math.sqrt(squares), recipe.normFloor);
    if (nnz + touched.length > cols.length) {
      const capacity = Math.max(cols.length * 2, nnz + touched.length);
      const grownCols = new Int32Array(capacity);
      grownCols.set(cols);
      const grownValues = new Float32Array(capacity);
      grownValues.set(values);
      cols = grownCols;
      values = grownValues;
    }
    touched.forEach((column, j) => {
      cols[nnz] = column;
      values[nnz++] = weights[j] / norm;
      counts[column] = 0;
    });
    touched.length = 0;
    rowPtr[doc + 1] = nnz;
  });
  return { rowPtr, cols: cols.slice(0, nnz), values: values.slice(0, nnz), nCols };
}

/** CSR blocks stacked vertically (same column count). */
export function concatRows(parts: SparseRows[]): SparseRows {
  const rows = parts.reduce((n, p) => n + p.rowPtr.length - 1, 0);
  const nnz = parts.reduce((n, p) => n + p.cols.length, 0);
  const rowPtr = new Int32Array(rows + 1);
  const cols = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let row = 0;
  let offset = 0;
  for (const part of parts) {
    for (let r = 1; r < part.rowPtr.length; r++) rowPtr[row + r] = offset + part.rowPtr[r];
    cols.set(part.cols, offset);
    values.set(part.values, offset);
    row += part.rowPtr.length - 1;
    offset += part.cols.length;
  }
  return { rowPtr, cols, values, nCols: parts[0]?.nCols ?? 0 };
}

/** The given rows of a CSR block, in that order, as a new CSR block. */
export function selectRows(sparse: SparseRows, rows: number[]): SparseRows {
  const rowPtr = new Int32Array(rows.length + 1);
  let nnz = 0;
  rows.forEach((row, i) => {
    nnz += sparse.rowPtr[row + 1] - sparse.rowPtr[row];
    rowPtr[i + 1] = nnz;
  });
  const cols = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  rows.forEach((row, i) => {
    cols.set(sparse.cols.subarray(sparse.rowPtr[row], sparse.rowPtr[row + 1]), rowPtr[i]);
    values.set(sparse.values.subarray(sparse.rowPtr[row], sparse.rowPtr[row + 1]), rowPtr[i]);
  });
  return { rowPtr, cols, values, nCols: sparse.nCols };
}
