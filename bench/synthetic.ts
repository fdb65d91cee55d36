// Synthetic minority examples (docs/experiments-synthetic.md): on the SpamAssassin extreme-imbalance split (spam cut
// to 1% of training, ~27 e-mails) and a harder cut to 15 spam, minority F1 with oversampling alone against oversampling
// plus ACCEPTED synthetic spam examples. Every candidate is accepted without reading it (an experiment cannot review),
// through the real path: a project file, generateSynthetic, reviewSynthetic, trainingExamples, the trainer's leakage
// guard, the fixed SpamAssassin test set. Run alone: `npx tsx bench/synthetic.ts [--seeds N] [--count N]`.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { toCsv } from '../shared/csv.js';
import { DEFAULT_TRAIN_SETTINGS } from '../shared/domain.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import type { TrainExample, TrainJob } from '../electron/backend/training/job.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import { trainExamplesFromProject } from '../electron/backend/training/worker-client.js';
import { loadSpamAssassin, spamAssassinExtremeImbalance, SPAM_LABELS, type Example } from '../test/fixtures/corpora.js';

const workDir = path.join(os.tmpdir(), 'finetune-bench-synthetic');
const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Condition {
  spamF1: number;
  spamPrecision: number;
  spamRecall: number;
  macroF1: number;
  syntheticUsed: number;
  syntheticDroppedForLeakage: number;
  seconds: number;
}

/** A project holding the training e-mails (imported from a CSV), so generation runs exactly as in the app. */
async function trainingProject(train: Example[], name: string): Promise<ProjectStore> {
  const csv = path.join(workDir, `${name}.csv`);
  const file = path.join(workDir, `${name}.ftproj`);
  rmSync(file, { force: true });
  writeFileSync(csv, toCsv(['body', 'category'], train.map((e) => [e.text, e.label])));
  const store = ProjectStore.create(file, { name, task: 'single_label' });
  await store.importSources([csv], { textCol: 'body', labelCol: 'category' });
  return store;
}

async function train(examples: TrainExample[], test: TrainExample[], seed: number, cacheFile: string): Promise<Condition> {
  const job: TrainJob = {
    task: 'single_label',
    labels: [...SPAM_LABELS],
    examples,
    test,
    settings: { ...DEFAULT_TRAIN_SETTINGS, strategy: 'oversample', seed },
    encoder: 'use-lite',
    cacheFile,
    modelDir: path.join(workDir, 'model'),
  };
  const started = Date.now();
  const { metrics } = await trainClassifier(job, () => {});
  const spam = metrics.per_class.spam;
  return {
    spamF1: round(spam.f1),
    spamPrecision: round(spam.precision),
    spamRecall: round(spam.recall),
    macroF1: round(metrics.f1_macro),
    syntheticUsed: metrics.synthetic?.used ?? 0,
    syntheticDroppedForLeakage: metrics.synthetic?.droppedForLeakage ?? 0,
    seconds: round((Date.now() - started) / 1000, 1),
  };
}

export async function run(options: { seeds?: number; count?: number } = {}): Promise<Record<string, unknown>> {
  const seeds = options.seeds ?? 1;
  const count = options.count ?? 20;
  mkdirSync(workDir, { recursive: true });
  const cacheFile = path.join(workDir, 'embeddings.sqlite');
  const test = loadSpamAssassin().test.map((e, i) => ({ id: `test:${i}`, text: e.text, contentHash: hash(e.text), labels: [e.label] }));
  const out: Record<string, unknown> = {
    machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`,
    loadAverageAtStart: os.loadavg().map((x) => round(x, 1)),
    candidatesPerRun: count,
    review: 'every candidate accepted unread',
  };
  for (const spamKept of [27, 15]) {
    const rows: Array<{ seed: number; trainSpam: number; generated: number; oversample: Condition; syntheticOversample: Condition }> = [];
    for (let seed = 0; seed < seeds; seed++) {
      const extreme = spamAssassinExtremeImbalance(seed).train;
      const spam = extreme.filter((e) => e.label === 'spam').slice(0, spamKept);
      const trainSet = [...extreme.filter((e) => e.label !== 'spam'), ...spam];
      const store = await trainingProject(trainSet, `spam${spamKept}-seed${seed}`);
      const generated = store.generateSynthetic({ label: 'spam', count, seed });
      for (const row of generated) store.reviewSynthetic(row.id, 'accepted');
      // Accepted synthetic documents come back with their parents, which the trainer's leakage guard checks.
      const examples = trainExamplesFromProject(store.trainingExamples());
      store.close();
      const oversample = await train(examples.filter((e) => !e.synthetic), test, seed, cacheFile);
      const syntheticOversample = await train(examples, test, seed, cacheFile);
      rows.push({ seed, trainSpam: spam.length, generated: generated.length, oversample, syntheticOversample });
      console.error(JSON.stringify(rows[rows.length - 1]));
    }
    out[`spam${spamKept}`] = {
      runs: rows,
      meanSpamF1: { oversample: round(mean(rows.map((r) => r.oversample.spamF1))), syntheticOversample: round(mean(rows.map((r) => r.syntheticOversample.spamF1))) },
      meanMacroF1: { oversample: round(mean(rows.map((r) => r.oversample.macroF1))), syntheticOversample: round(mean(rows.map((r) => r.syntheticOversample.macroF1))) },
    };
  }
  out.loadAverageAtEnd = os.loadavg().map((x) => round(x, 1));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { seeds: { type: 'string' }, count: { type: 'string' } } });
  console.log(JSON.stringify(await run({ seeds: values.seeds ? Number(values.seeds) : undefined, count: values.count ? Number(values.count) : undefined }), null, 2));
}
