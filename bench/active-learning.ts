// Active learning (issue 11) measured as the issue asks: from 50 labeled SpamAssassin training e-mails, 25 more
// labels per round, once in the order `finetune suggest` ranks them (margin with the rare-class boost) and once at
// random; macro-F1 on one fixed test set after every round, for both. The unlabeled pool is scored by each round's
// model as part of its test set (the model never trains on it), so the queue sees exactly what `suggest` would.
// Run alone: `npx tsx bench/active-learning.ts`.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { suggestNext } from '../shared/active-learning.js';
import { DEFAULT_TRAIN_SETTINGS } from '../shared/domain.js';
import { singleLabelMetrics } from '../shared/metrics.js';
import { createRng, shuffleInPlace } from '../shared/random.js';
import type { TrainExample } from '../electron/backend/training/job.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import { loadSpamAssassin, SPAM_LABELS } from '../test/fixtures/corpora.js';

const START = 50;
const BATCH = 25;
const ROUNDS = 10;
const POOL = 1500;
const TEST = 1000;
const round = (x: number) => Number(x.toFixed(3));
const hash = (text: string) => createHash('sha256').update(text).digest('hex');

export async function run(): Promise<Record<string, unknown>> {
  const corpus = loadSpamAssassin();
  const rng = createRng(11);
  const pool = shuffleInPlace([...corpus.train], rng).slice(0, POOL).map((e, i): TrainExample => ({ id: `pool${i}`, text: e.text, contentHash: hash(e.text), labels: [e.label] }));
  const test = shuffleInPlace([...corpus.test], rng).slice(0, TEST).map((e, i): TrainExample => ({ id: `test${i}`, text: e.text, contentHash: hash(e.text), labels: [e.label] }));
  const labels: string[] = [...SPAM_LABELS];
  const start = pool.slice(0, START).map((e) => String(e.id));
  const curves: Record<string, Array<{ labels: number; macroF1: number }>> = {};
  for (const order of ['queue', 'random'] as const) {
    const labeled = new Set(start);
    const randomOrder = shuffleInPlace(pool.map((e) => String(e.id)).filter((id) => !labeled.has(id)), createRng(29));
    const curve: Array<{ labels: number; macroF1: number }> = [];
    for (let r = 0; r <= ROUNDS; r++) {
      const train = pool.filter((e) => labeled.has(String(e.id)));
      const unlabeled = pool.filter((e) => !labeled.has(String(e.id)));
      const result = await trainClassifier(
        { task: 'single_label', labels, examples: train, test: [...test, ...unlabeled], settings: { ...DEFAULT_TRAIN_SETTINGS, strategy: 'weighted', folds: 3, repeats: 1, seed: 7 }, encoder: 'use-lite', cacheFile: path.join(os.tmpdir(), 'ft-cache', 'embeddings.sqlite'), modelDir: path.join(os.tmpdir(), 'finetune-bench-active', order) },
        () => {},
      );
      const byText = new Map(result.predictions.map((p) => [p.text, p]));
      const testRows = test.map((e) => byText.get(e.text)).filter((p) => p !== undefined);
      const metrics = singleLabelMetrics(testRows.map((p) => labels.indexOf(p!.trueLabels![0])), testRows.map((p) => labels.indexOf(p!.predicted[0])), labels);
      curve.push({ labels: train.length, macroF1: round(metrics.f1_macro) });
      if (r === ROUNDS) break;
      let next: string[];
      if (order === 'random') next = randomOrder.filter((id) => !labeled.has(id)).slice(0, BATCH);
      else {
        const scored = unlabeled.filter((e) => byText.has(e.text));
        const counts = labels.map((l) => train.filter((e) => e.labels[0] === l).length);
        next = suggestNext(scored.map((e) => labels.map((l) => byText.get(e.text)!.probabilities[l])), labels, counts, { count: BATCH }).map((s) => String(scored[s.index].id));
      }
      for (const id of next) labeled.add(id);
    }
    curves[order] = curve;
  }
  // Labels the queue needed to reach the macro-F1 random sampling ends at.
  const target = curves.random[curves.random.length - 1].macroF1;
  const reached = curves.queue.find((p) => p.macroF1 >= target);
  return { start: START, batch: BATCH, rounds: ROUNDS, poolSize: POOL, testSize: TEST, curves, randomFinal: target, queueLabelsToReachRandomFinal: reached?.labels ?? null, randomLabels: curves.random[curves.random.length - 1].labels };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(JSON.stringify(await run(), null, 2));
