// Token tasks: entities read from tag sequences and scored as seqeval's strict IOB2 mode does (an entity is a B-X
// followed by any I-X; it counts only when its type, start and end all match; an I-X that continues nothing is no
// entity), micro and macro over types, with bootstrap intervals over sentences. Tag sets without B-/I- prefixes
// (parts of speech) are scored per tag instead.
import { createRng, randomInt } from './random.js';
import { percentileSorted } from './metrics.js';

export interface Entity {
  type: string;
  /** Token positions, end exclusive. */
  start: number;
  end: number;
}

const prefixOf = (tag: string) => (tag.length > 2 && tag[1] === '-' && (tag[0] === 'B' || tag[0] === 'I') ? tag[0] : null);
export const typeOf = (tag: string) => (prefixOf(tag) ? tag.slice(2) : tag);

/** True when the tags are BIO: every tag is O or B-X / I-X, and at least one entity tag exists. */
export function isBioTagSet(tags: Iterable<string>): boolean {
  let entity = false;
  for (const tag of tags) {
    if (tag === 'O') continue;
    if (!prefixOf(tag)) return false;
    entity = true;
  }
  return entity;
}

/** Strict IOB2 entities of one sentence's tags. */
export function entitiesOf(tags: string[]): Entity[] {
  const out: Entity[] = [];
  let open: Entity | null = null;
  const close = () => {
    if (open) out.push(open);
    open = null;
  };
  tags.forEach((tag, i) => {
    const prefix = prefixOf(tag);
    if (prefix === 'B') {
      close();
      open = { type: tag.slice(2), start: i, end: i + 1 };
    } else if (prefix === 'I' && open && open.type === tag.slice(2)) {
      open.end = i + 1;
    } else {
      // O, a plain tag, or an I-X that continues nothing (strict mode: not an entity).
      close();
    }
  });
  close();
  return out;
}

/** Whether tag `to` may follow tag `from` ('' = sentence start) in valid IOB2. */
export function allowedTransition(from: string, to: string): boolean {
  if (prefixOf(to) !== 'I') return true;
  return from !== '' && prefixOf(from) !== null && typeOf(from) === typeOf(to);
}

export interface PrfScore {
  precision: number;
  recall: number;
  f1: number;
}

export interface EntityTypeScore extends PrfScore {
  /** Gold entities of this type. */
  support: number;
  predicted: number;
  f1Interval: [number, number];
}

export interface EntityScores {
  micro: PrfScore & { interval: [number, number] };
  macro: PrfScore & { interval: [number, number] };
  perType: Record<string, EntityTypeScore>;
  sentences: number;
  goldEntities: number;
}

const prf = (tp: number, fp: number, fn: number): PrfScore => {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
};

/** Per sentence, per type: [tp, fp, fn]. */
function sentenceCounts(gold: string[][], predicted: string[][], types: string[]): Int32Array[] {
  const index = new Map(types.map((t, i) => [t, i]));
  return gold.map((tags, s) => {
    const counts = new Int32Array(types.length * 3);
    const key = (e: Entity) => `${e.type}\u0000${e.start}\u0000${e.end}`;
    const goldEntities = entitiesOf(tags);
    const goldKeys = new Set(goldEntities.map(key));
    const predictedEntities = entitiesOf(predicted[s]);
    const predictedKeys = new Set(predictedEntities.map(key));
    for (const e of predictedEntities) {
      const t = index.get(e.type);
      if (t !== undefined) counts[t * 3 + (goldKeys.has(key(e)) ? 0 : 1)]++;
    }
    for (const e of goldEntities) if (!predictedKeys.has(key(e))) counts[index.get(e.type)! * 3 + 2]++;
    return counts;
  });
}

function scoresFrom(counts: Int32Array[], rows: ArrayLike<number>, types: string[]) {
  const total = new Float64Array(types.length * 3);
  for (let r = 0; r < rows.length; r++) {
    const c = counts[rows[r]];
    for (let i = 0; i < c.length; i++) total[i] += c[i];
  }
  const perType = types.map((_, t) => prf(total[t * 3], total[t * 3 + 1], total[t * 3 + 2]));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  types.forEach((_, t) => {
    tp += total[t * 3];
    fp += total[t * 3 + 1];
    fn += total[t * 3 + 2];
  });
  const mean = (key: keyof PrfScore) => (types.length ? perType.reduce((s, p) => s + p[key], 0) / types.length : 0);
  return { total, perType, micro: prf(tp, fp, fn), macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') } };
}

/**
 * Entity-level precision, recall and F1 (seqeval strict, IOB2) of predicted against gold tags, sentence by sentence.
 * As seqeval, the types are those of gold and predicted entities together: a type only ever predicted scores F1 0
 * and lowers the macro mean.
 */
export function entityScores(gold: string[][], predicted: string[][], { iterations = 500, seed = 0 } = {}): EntityScores {
  const allTypes = [...new Set([...gold, ...predicted].flatMap((tags) => entitiesOf(tags).map((e) => e.type)))].sort();
  const counts = sentenceCounts(gold, predicted, allTypes);
  const all = Int32Array.from(gold.keys());
  const point = scoresFrom(counts, all, allTypes);
  const rng = createRng(seed);
  const micro: number[] = [];
  const macro: number[] = [];
  const perTypeDraws: number[][] = allTypes.map(() => []);
  const rows = new Int32Array(gold.length);
  for (let it = 0; it < iterations && gold.length > 0; it++) {
    for (let r = 0; r < rows.length; r++) rows[r] = randomInt(gold.length, rng);
    const draw = scoresFrom(counts, rows, allTypes);
    micro.push(draw.micro.f1);
    macro.push(draw.macro.f1);
    draw.perType.forEach((p, t) => {
      if (draw.total[t * 3] + draw.total[t * 3 + 1] + draw.total[t * 3 + 2] > 0) perTypeDraws[t].push(p.f1);
    });
  }
  const interval = (values: number[]): [number, number] => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length ? [percentileSorted(sorted, 2.5), percentileSorted(sorted, 97.5)] : [0, 0];
  };
  const perType: Record<string, EntityTypeScore> = {};
  allTypes.forEach((type, t) => {
    const [tp, fp, fn] = [point.total[t * 3], point.total[t * 3 + 1], point.total[t * 3 + 2]];
    perType[type] = { ...point.perType[t], support: tp + fn, predicted: tp + fp, f1Interval: interval(perTypeDraws[t]) };
  });
  return {
    micro: { ...point.micro, interval: interval(micro) },
    macro: { ...point.macro, interval: interval(macro) },
    perType,
    sentences: gold.length,
    goldEntities: Object.values(perType).reduce((sum, t) => sum + t.support, 0),
  };
}
