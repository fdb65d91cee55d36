// What fine-tuning buys, measured: the frozen encoder with the strategy search (depth head) against USE-lite
// fine-tuned (top-1) and tuned contrastively (SetFit-style), on a few-label SpamAssassin split and a few-label
// Brown-genre split (passages of files never seen in training), with the test macro-F1's 95% bootstrap interval.
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TRAIN_SETTINGS } from '../shared/domain.js';
import { createRng, shuffleInPlace } from '../shared/random.js';
import { contentHash } from '../electron/backend/store/importer.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import type { TrainExample } from '../electron/backend/training/job.js';
import { brownGenres, loadSpamAssassin, SPAM_LABELS } from '../test/fixtures/corpora.js';

const DEPTHS = ['head', 'top-1', 'contrastive'] as const;

/** perClass documents of each label, drawn with a fixed seed. */
function fewPerClass<T extends { text: string; label: string }>(pool: T[], labels: string[], perClass: number, seed: number): TrainExample[] {
  const rng = createRng(seed);
  return labels.flatMap((label) => shuffleInPlace(pool.filter((e) => e.label === label), rng).slice(0, perClass))
    .map((e, i) => ({ id: `${seed}-${i}`, text: e.text.slice(0, 2000), contentHash: contentHash(e.text.slice(0, 2000)), labels: [e.label] }));
}

async function compare(name: string, labels: string[], train: TrainExample[], test: TrainExample[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { labels: labels.length, train: train.length, test: test.length };
  for (const depth of DEPTHS) {
    process.stderr.write(`  ${name}: depth ${depth}\n`);
    const started = Date.now();
    const result = await trainClassifier({
      task: 'single_label', labels, examples: train, test,
      settings: { ...DEFAULT_TRAIN_SETTINGS, seed: 7, ...(depth === 'head' ? {} : { depth }) },
      encoder: 'use-lite', cacheFile: path.join(os.tmpdir(), 'ft-cache', 'embeddings.sqlite'),
      modelDir: path.join(os.tmpdir(), 'finetune-bench-quality', name, depth),
    }, () => {});
    const m = result.metrics;
    out[depth] = {
      macro_f1: Number(m.f1_macro.toFixed(3)),
      interval: m.f1_macro_interval?.map((x) => Number(x.toFixed(3))) ?? null,
      seconds: Math.round((Date.now() - started) / 1000),
      how: m.selection?.reason.split(';')[0],
    };
  }
  return out;
}

export async function run(): Promise<Record<string, unknown>> {
  const spam = loadSpamAssassin();
  const spamTrain = fewPerClass(spam.train, SPAM_LABELS, 16, 1);
  const spamTest = fewPerClass(spam.test, SPAM_LABELS, 100, 2);
  const brown = brownGenres({ words: 120, perFile: 2, seed: 0 });
  const brownTrain = fewPerClass(brown.train, brown.labels, 12, 3);
  const brownTest = fewPerClass(brown.test, brown.labels, 10, 4);
  return {
    note: 'few labels per class; head = frozen USE-lite + word features + strategy search; top-1 = fine-tuned top layer (4 epochs, early stopping); contrastive = SetFit-style pairs then a linear head',
    spamassassin: await compare('spamassassin', [...SPAM_LABELS], spamTrain, spamTest),
    brown_genres: await compare('brown', brown.labels, brownTrain, brownTest),
  };
}
