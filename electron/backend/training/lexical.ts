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

export const DEFAULT_LEXICAL_OPTIONS: LexicalOptions = { maxFeatures: 20000, minDocumentFrequency: 2 };

// n-gram keys as one number: unigram = id, bigram = (a + 1) * 2^21 + b (ids are below 2^21 in every tokenizer we load).
const BIGRAM_BASE = 2 ** 21;
const bigramKey = (a: number, b: number): number => (a + 1) * BIGRAM_BASE + b;

function checkIds(ids: number[], doc: number): void {
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= BIGRAM_BASE) throw new Error(`lexical features: document ${doc} has token id ${id}, outside [0, ${BIGRAM_BASE})`);
  }
}

function distinctNgrams(ids: number[]): Set<number> {
  const keys = new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    keys.add(ids[i]);
    if (i + 1 < ids.length) keys.add(bigramKey(ids[i], ids[i + 1]));
  }
  return keys;
}

/** Chooses the vocabulary and idf from the training documents' token ids. */
export function fitLexical(trainingIds: number[][], options: LexicalOptions = DEFAULT_LEXICAL_OPTIONS): LexicalRecipe {
  const df = new Map<number, number>();
  trainingIds.forEach((ids, doc) => {
    checkIds(ids, doc);
    for (const key of distinctNgrams(ids)) df.set(key, (df.get(key) ?? 0) + 1);
  });
  const kept = [...df.entries()]
    .filter(([, count]) => count >= options.minDocumentFrequency)
    // Deterministic: most frequent first, ties by key (unigrams before bigrams, then by ids).
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, options.maxFeatures)
    .sort((a, b) => a[0] - b[0]);
  const unigrams = kept.filter(([key]) => key < BIGRAM_BASE);
  const bigrams = kept.filter(([key]) => key >= BIGRAM_BASE);
  const n = trainingIds.length;
  const poolInt64s: number[] = [];
  const ngramIndexes: number[] = [];
  const idf: number[] = [];
  for (const [key, count] of [...unigrams, ...bigrams]) {
    if (key < BIGRAM_BASE) poolInt64s.push(key);
    else poolInt64s.push(Math.floor(key / BIGRAM_BASE) - 1, key % BIGRAM_BASE);
    ngramIndexes.push(idf.length);
    idf.push(Math.log((1 + n) / (1 + count)) + 1);
  }
  return {
    format: 'finetune-tfidf-v1',
    recipe: 'x = w / max(||w||2, normFloor), w[j] = ln(1 + count[j]) * idf[j], count = ONNX TfIdfVectorizer mode TF over unigrams+bigrams of the tokenizer ids (full sequence, not clipped); idf[j] = ln((1 + n) / (1 + df[j])) + 1 on the training split',
    minGramLength: 1,
    maxGramLength: 2,
    maxSkipCount: 0,
    ngramCounts: [0, unigrams.length],
    ngramIndexes,
    poolInt64s,
    idf,
    padId: PAD_ID,
    normFloor: NORM_FLOOR,
    trainingDocuments: n,
  };
}

/** Maps n-gram key → output column for a recipe (rebuilt once per recipe). */
export function columnLookup(recipe: LexicalRecipe): Map<number, number> {
  const lookup = new Map<number, number>();
  const unigramCount = recipe.ngramCounts[1];
  for (let i = 0; i < unigramCount; i++) lookup.set(recipe.poolInt64s[i], recipe.ngramIndexes[i]);
  const bigramCount = (recipe.poolInt64s.length - unigramCount) / 2;
  for (let j = 0; j < bigramCount; j++) {
    const a = recipe.poolInt64s[unigramCount + 2 * j];
    const b = recipe.poolInt64s[unigramCount + 2 * j + 1];
    lookup.set(bigramKey(a, b), recipe.ngramIndexes[unigramCount + j]);
  }
  return lookup;
}

/** TF-IDF rows for documents' token ids, following the recipe exactly. */
export function transformLexical(recipe: LexicalRecipe, docsIds: number[][], lookup = columnLookup(recipe)): SparseRows {
  const rowPtr = new Int32Array(docsIds.length + 1);
  const cols: number[] = [];
  const values: number[] = [];
  const counts = new Map<number, number>();
  docsIds.forEach((ids, doc) => {
    counts.clear();
    const bump = (key: number): void => {
      const column = lookup.get(key);
      if (column !== undefined) counts.set(column, (counts.get(column) ?? 0) + 1);
    };
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === PAD_ID) continue;
      bump(ids[i]);
      if (i + 1 < ids.length && ids[i + 1] !== PAD_ID) bump(bigramKey(ids[i], ids[i + 1]));
    }
    const columns = [...counts.keys()].sort((a, b) => a - b);
    const weights = columns.map((column) => Math.log(1 + counts.get(column)!) * recipe.idf[column]);
    const norm = Math.max(Math.sqrt(weights.reduce((s, w) => s + w * w, 0)), recipe.normFloor);
    columns.forEach((column, i) => {
      cols.push(column);
      values.push(weights[i] / norm);
    });
    rowPtr[doc + 1] = cols.length;
  });
  return { rowPtr, cols: Int32Array.from(cols), values: Float32Array.from(values), nCols: recipe.idf.length };
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
