// Label-error detection (issue 11) measured as the issue asks: 5% of the labels of the SpamAssassin training split
// flipped at random to another class, then the precision and recall of `label-issues`' list against the flipped
// set, for three seeds. Run alone: `npx tsx bench/label-issues.ts`.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_TRAIN_SETTINGS } from '../shared/domain.js';
import { createRng, randomInt, shuffleInPlace } from '../shared/random.js';
import { labelIssuesOf } from '../electron/backend/training/trainer.js';
import { loadSpamAssassin, SPAM_LABELS } from '../test/fixtures/corpora.js';

const FLIPPED_SHARE = 0.05;
const round = (x: number) => Number(x.toFixed(3));

export async function run(): Promise<Record<string, unknown>> {
  const { train } = loadSpamAssassin();
  const results: Array<{ seed: number; documents: number; flipped: number; listed: number; precision: number; recall: number; precisionAtFlipped: number; seconds: number }> = [];
  for (const seed of [1, 2, 3]) {
    const rng = createRng(seed);
    const flipped = new Set(shuffleInPlace(train.map((_, i) => i), rng).slice(0, Math.round(train.length * FLIPPED_SHARE)));
    const examples = train.map((e, i) => {
      const others = SPAM_LABELS.filter((l) => l !== e.label);
      const label = flipped.has(i) ? others[randomInt(others.length, rng)] : e.label;
      return { id: i, text: e.text, contentHash: createHash('sha256').update(e.text).digest('hex'), labels: [label] };
    });
    const started = performance.now();
    const report = await labelIssuesOf(
      { task: 'single_label', labels: [...SPAM_LABELS], examples, settings: { ...DEFAULT_TRAIN_SETTINGS, seed }, encoder: 'use-lite', cacheFile: path.join(os.tmpdir(), 'ft-cache', 'embeddings.sqlite'), modelDir: path.join(os.tmpdir(), 'finetune-bench-label-issues') },
      () => {},
    );
    const listed = new Set(report.issues.map((i) => Number(i.id)));
    const hits = [...listed].filter((i) => flipped.has(i)).length;
    const top = report.issues.slice(0, flipped.size).filter((i) => flipped.has(Number(i.id))).length;
    results.push({ seed, documents: report.documents, flipped: flipped.size, listed: listed.size, precision: round(hits / Math.max(1, listed.size)), recall: round(hits / flipped.size), precisionAtFlipped: round(top / flipped.size), seconds: round((performance.now() - started) / 1000) });
  }
  const mean = (key: 'precision' | 'recall' | 'precisionAtFlipped') => round(results.reduce((s, r) => s + r[key], 0) / results.length);
  return { flippedShare: FLIPPED_SHARE, runs: results, meanPrecision: mean('precision'), meanRecall: mean('recall'), meanPrecisionAtFlipped: mean('precisionAtFlipped') };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(JSON.stringify(await run(), null, 2));
