// Training-engine figures (docs/experiments.md): every strategy on the SpamAssassin split of issue 3, the
// extreme-imbalance variant, multi-label Brown (tuned thresholds vs 0.5), cold/warm train times, peak RSS, and the
// long-document choice of the encoder. Run alone: `npx tsx bench/train.ts [spam extreme brown longdocs]`.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_TRAIN_SETTINGS, type StrategyName, type TrainSettings } from '../shared/domain.js';
import { multiLabelMetrics } from '../shared/metrics.js';
import type { TrainExample, TrainJob, TrainResult } from '../electron/backend/training/job.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import type { LongDocMode } from '../electron/backend/encoders/index.js';
import { brownMultiLabel, loadSpamAssassin, spamAssassinExtremeImbalance, SPAM_LABELS, type Example } from '../test/fixtures/corpora.js';

const workDir = path.join(os.tmpdir(), 'finetune-bench-train');
const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
/** Longest silence between two progress events of any run (the contract: never over 0.5 s). */
let longestProgressGap = 0;

const toExamples = (rows: Example[], prefix: string): TrainExample[] =>
  rows.map((e) => ({ id: `${prefix}${e.group}/${e.id}`, text: e.text, contentHash: hash(e.text), labels: [e.label] }));

interface RunFigures {
  macroF1: number;
  /** CPU seconds of the whole run: what the wall time would be on an idle machine (training uses one thread). */
  cpuSeconds: number;
  minorityF1: Record<string, number>;
  seconds: number;
  embedSeconds: number;
  trainSeconds: number;
  epochs: number;
  strategy: string;
}

async function timedTrain(job: TrainJob): Promise<{ result: TrainResult; seconds: number; cpuSeconds: number }> {
  const start = Date.now();
  const cpuStart = process.cpuUsage();
  const timer = setInterval(sampleRss, 200);
  let last = Date.now();
  try {
    const result = await trainClassifier(job, () => {
      longestProgressGap = Math.max(longestProgressGap, (Date.now() - last) / 1000);
      last = Date.now();
      sampleRss();
    });
    const cpu = process.cpuUsage(cpuStart);
    return { result, seconds: (Date.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    clearInterval(timer);
    sampleRss();
  }
}

function figures({ result, seconds, cpuSeconds }: { result: TrainResult; seconds: number; cpuSeconds: number }, minority: string[]): RunFigures {
  const m = result.metrics;
  return {
    macroF1: round(m.f1_macro),
    cpuSeconds: round(cpuSeconds, 1),
    minorityF1: Object.fromEntries(minority.map((label) => [label, round(m.per_class[label].f1)])),
    seconds: round(seconds, 1),
    embedSeconds: round(m.seconds.embed, 1),
    trainSeconds: round(m.seconds.train, 1),
    epochs: result.history.length,
    strategy: m.strategy.name + (m.strategy.auto ? ' (auto)' : ''),
  };
}

function spamJob(cacheFile: string, settings: Partial<TrainSettings>, train = loadSpamAssassin().train, extra: Partial<TrainJob> = {}): TrainJob {
  const { test } = loadSpamAssassin();
  return {
    task: 'single_label',
    labels: [...SPAM_LABELS],
    examples: toExamples(train, 'train:'),
    test: toExamples(test, 'test:'),
    settings: { ...DEFAULT_TRAIN_SETTINGS, ...settings },
    encoder: 'use-lite',
    cacheFile,
    modelDir: path.join(workDir, 'model'),
    ...extra,
  };
}

const STRATEGIES: Array<StrategyName | 'auto'> = ['none', 'weighted', 'focal', 'oversample', 'undersample', 'focal+oversample', 'auto'];

async function spamAssassinTable(cacheFile: string): Promise<Record<string, unknown>> {
  // BENCH_TRAIN_WARM=1 keeps an existing cache (skips the cold-cache run's ~10 minutes of embedding).
  if (!process.env.BENCH_TRAIN_WARM) rmSync(cacheFile, { force: true });
  const cold = await timedTrain(spamJob(cacheFile, { strategy: 'auto' }));
  const n = cold.result.metrics.n_train + cold.result.metrics.n_val + cold.result.metrics.n_test;
  const rows: Record<string, RunFigures> = {};
  for (const strategy of STRATEGIES) {
    const warm = await timedTrain(spamJob(cacheFile, { strategy }));
    rows[strategy] = figures(warm, ['hard_ham', 'spam']);
  }
  const variants: Record<string, RunFigures> = {};
  for (const [name, settings] of [
    ['auto, no lexical features', { strategy: 'auto', lexical: false }],
    ['none, no lexical features', { strategy: 'none', lexical: false }],
    ['auto, MLP head', { strategy: 'auto', head: 'mlp' }],
  ] as Array<[string, Partial<TrainSettings>]>) {
    const run = await timedTrain(spamJob(cacheFile, settings));
    variants[name] = figures(run, ['hard_ham', 'spam']);
  }
  return {
    documents: n,
    backend: cold.result.metrics.strategy.backend,
    encoder: cold.result.metrics.strategy.encoder,
    [process.env.BENCH_TRAIN_WARM ? 'firstRun (cache already warm)' : 'coldCache']: { ...figures(cold, ['hard_ham', 'spam']), embedDocsPerSecond: round(n / cold.result.metrics.seconds.embed, 1) },
    warmRetrainSeconds: rows.auto.seconds,
    warmRetrainCpuSeconds: rows.auto.cpuSeconds,
    strategies: rows,
    variants,
  };
}

async function extremeImbalance(cacheFile: string): Promise<Record<string, unknown>> {
  const { train } = spamAssassinExtremeImbalance(0);
  const rows: Record<string, RunFigures> = {};
  for (const strategy of ['none', 'weighted', 'focal', 'oversample', 'focal+oversample', 'auto'] as const) {
    for (const lexical of [true, false]) {
      const run = await timedTrain(spamJob(cacheFile, { strategy, lexical }, train));
      rows[`${strategy}${lexical ? '' : ', no lexical'}`] = figures(run, ['spam', 'hard_ham']);
    }
  }
  return { trainSpam: train.filter((e) => e.label === 'spam').length, trainTotal: train.length, strategies: rows };
}

async function brown(cacheFile: string): Promise<Record<string, unknown>> {
  const corpus = brownMultiLabel();
  const toMulti = (rows: typeof corpus.train, prefix: string): TrainExample[] =>
    rows.map((e) => ({ id: `${prefix}${e.id}`, text: e.text, contentHash: hash(e.text), labels: e.labels }));
  const out: Record<string, unknown> = { labels: corpus.labels.length, train: corpus.train.length, test: corpus.test.length };
  for (const strategy of ['none', 'auto'] as const) {
    const { result, seconds, cpuSeconds } = await timedTrain({
      task: 'multi_label',
      labels: corpus.labels,
      examples: toMulti(corpus.train, 'train:'),
      test: toMulti(corpus.test, 'test:'),
      settings: { ...DEFAULT_TRAIN_SETTINGS, strategy },
      encoder: 'use-lite',
      cacheFile,
      modelDir: path.join(workDir, 'brown-model'),
    });
    const truth = result.predictions.map((row) => corpus.labels.map((l) => (row.trueLabels!.includes(l) ? 1 : 0)));
    const atHalf = result.predictions.map((row) => corpus.labels.map((l) => (row.probabilities[l] >= 0.5 ? 1 : 0)));
    const fixed = multiLabelMetrics(truth, atHalf, corpus.labels);
    out[strategy] = {
      strategy: result.metrics.strategy.name,
      macroF1TunedThresholds: round(result.metrics.f1_macro),
      macroF1AtHalf: round(fixed.f1_macro),
      microF1TunedThresholds: round(result.metrics.f1_micro),
      microF1AtHalf: round(fixed.f1_micro),
      seconds: round(seconds, 1),
      cpuSeconds: round(cpuSeconds, 1),
    };
  }
  return out;
}

/** The encoder's long-document mode, on a stratified subset (re-embedding the full split per mode costs minutes). */
async function longDocs(): Promise<Record<string, unknown>> {
  const { train, test } = loadSpamAssassin();
  const every = (rows: Example[], k: number) => rows.filter((_, i) => i % k === 0);
  const trainSubset = every(train, 6);
  const testSubset = every(test, 6);
  const out: Record<string, unknown> = { train: trainSubset.length, test: testSubset.length };
  for (const mode of ['truncate', 'head_tail', 'chunk_mean'] as LongDocMode[]) {
    const cacheFile = path.join(workDir, `longdocs-${mode}.sqlite`);
    rmSync(cacheFile, { force: true });
    const row: Record<string, unknown> = {};
    for (const lexical of [false, true]) {
      const job = spamJob(cacheFile, { strategy: 'auto', lexical }, trainSubset, { test: toExamples(testSubset, 'test:'), encoderOptions: { longDocs: mode } });
      const run = await timedTrain(job);
      row[lexical ? 'withLexical' : 'embeddingOnly'] = figures(run, ['hard_ham', 'spam']);
    }
    out[mode] = row;
  }
  return out;
}

export async function run(parts: string[] = []): Promise<Record<string, unknown>> {
  mkdirSync(workDir, { recursive: true });
  const want = (part: string) => parts.length === 0 || parts.includes(part);
  const spamCache = path.join(workDir, 'spam.sqlite');
  const out: Record<string, unknown> = { machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`, loadAverageAtStart: os.loadavg().map((x) => round(x, 1)) };
  if (want('spam')) out.spamAssassin = await spamAssassinTable(spamCache);
  if (want('extreme')) out.extremeImbalance = await extremeImbalance(spamCache);
  if (want('brown')) out.brownMultiLabel = await brown(path.join(workDir, 'brown.sqlite'));
  if (want('longdocs')) out.longDocs = await longDocs();
  out.longestProgressGapSeconds = round(longestProgressGap, 2);
  out.peakRssMB = Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20);
  out.loadAverageAtEnd = os.loadavg().map((x) => round(x, 1));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(process.argv.slice(2)), null, 2));
}
