// Sentence pairs (issue 10) beside the TF-IDF peer, in the same run on the same split: Brown passage pairs from one
// document ("same") or from two documents of one genre ("other"), files split before pairs are made. The product
// trains with --strategy auto on [u, v, |u - v|, u * v] of its sentence embeddings plus word features; the peer is
// logistic regression on TF-IDF similarity features (bench/peers/sklearn_pairs.py).
// Run alone: `npx tsx bench/pairs.ts`.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_TRAIN_SETTINGS } from '../shared/domain.js';
import { singleLabelMetrics } from '../shared/metrics.js';
import type { TrainExample } from '../electron/backend/training/job.js';
import { exampleKey, pairContentHash } from '../electron/backend/training/pairs.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import { brownPairs, type PairExample } from '../test/fixtures/brown-pairs.js';
import { ensurePythonModules } from './peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const workDir = path.join(os.tmpdir(), 'finetune-bench-pairs');
const round = (x: number) => Number(x.toFixed(3));
const LABELS = ['same', 'other'];

const examples = (list: PairExample[], prefix: string): TrainExample[] => list.map((p, i) => ({ id: `${prefix}${i}`, text: p.a, pair: p.b, contentHash: pairContentHash(p.a, p.b), labels: [p.label] }));

export async function run(): Promise<Record<string, unknown>> {
  const { train, test: allTest } = brownPairs();
  // Both are scored on the same test pairs: those that repeat no training pair (in either order, nearly) nor each other.
  const seen = new Set(train.map((p) => exampleKey({ text: p.a, pair: p.b })));
  const test = allTest.filter((p) => {
    const key = exampleKey({ text: p.a, pair: p.b });
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const started = performance.now();
  const result = await trainClassifier(
    {
      task: 'single_label',
      labels: LABELS,
      examples: examples(train, 'train'),
      test: examples(test, 'test'),
      pairs: true,
      settings: { ...DEFAULT_TRAIN_SETTINGS },
      encoder: 'use-lite',
      cacheFile: path.join(workDir, 'cache.sqlite'),
      modelDir: path.join(workDir, 'model'),
    },
    () => {},
  );
  const m = result.metrics;
  const product = { macroF1: round(m.f1_macro), macroF1Interval: m.f1_macro_interval?.map(round), sameF1: round(m.per_class.same.f1), pick: m.selection?.search?.pick.name ?? m.strategy.name, seconds: round((performance.now() - started) / 1000), testPairs: m.n_test };
  const missing = ensurePythonModules(['sklearn', 'scipy'], ['python3-sklearn']);
  let peer: Record<string, unknown>;
  if (missing) peer = { error: missing };
  else {
    const peerTest = test;
    const run = spawnSync('/usr/bin/python3', [path.join(here, 'peers', 'sklearn_pairs.py')], { input: JSON.stringify({ train: train.map((p) => [p.a, p.b, p.label]), test: peerTest.map((p) => [p.a, p.b]) }), encoding: 'utf8', maxBuffer: 1 << 30 });
    if (run.status !== 0) peer = { error: run.stderr.trim().split('\n').slice(-2).join(' ') };
    else {
      const out = JSON.parse(run.stdout) as { predicted: string[]; fit_seconds: number };
      const metrics = singleLabelMetrics(peerTest.map((p) => LABELS.indexOf(p.label)), out.predicted.map((l) => LABELS.indexOf(l)), LABELS);
      peer = { model: "sklearn LogisticRegression(class_weight='balanced') on TF-IDF |a-b|, a*b, cosine", macroF1: round(metrics.f1_macro), sameF1: round(metrics.per_class.same.f1), fitSeconds: round(out.fit_seconds), testPairs: peerTest.length };
    }
  }
  return { trainPairs: train.length, testPairs: test.length, testPairsRepeatingTraining: allTest.length - test.length, product, peer };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(JSON.stringify(await run(), null, 2));
