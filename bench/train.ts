// Training-engine figures (docs/experiments.md), each beside the scikit-learn peer measured in the same run on the
// same cached features (bench/peers.ts): the SpamAssassin split of issue 3, the same with spam cut to 1%, Brown
// genres split by book, Brown 1 : 89 binary tasks split by book and by passage, and multi-label Brown. Also the
// strategy search's and the final refit's seconds, cold and warm totals, peak RSS and the longest progress silence.
// Run alone: `npx tsx bench/train.ts [spam extreme genres binary multilabel]`.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../shared/domain.js';
import { multiLabelMetrics } from '../shared/metrics.js';
import { createRng, shuffleInPlace } from '../shared/random.js';
import type { TrainExample, TrainJob, TrainResult } from '../electron/backend/training/job.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import { brownBinary, brownGenres, brownMultiLabel, loadSpamAssassin, spamAssassinExtremeImbalance, SPAM_LABELS, type PassageExample } from '../test/fixtures/corpora.js';
import { sklearnBalancedLogistic, type PeerResult } from './peers.js';

const workDir = path.join(os.tmpdir(), 'finetune-bench-train');
const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
/** Longest silence between two progress events of any run (the contract: never over 0.5 s). */
let longestProgressGap = 0;

const examplesOf = (rows: Array<{ text: string; label: string }>, prefix: string): TrainExample[] =>
  rows.map((e, i) => ({ id: `${prefix}${i}`, text: e.text, contentHash: hash(e.text), labels: [e.label] }));

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

const job = (cacheFile: string, name: string, labels: string[], train: TrainExample[], test: TrainExample[], settings: Partial<TrainSettings> = {}): TrainJob => ({
  task: 'single_label',
  labels,
  examples: train,
  test,
  settings: { ...DEFAULT_TRAIN_SETTINGS, ...settings },
  encoder: 'use-lite',
  cacheFile,
  modelDir: path.join(workDir, `model-${name}`),
});

/** The product's run (strategy auto) and the peer on the same features; the ratio of their macro-F1. */
async function sideBySide(j: TrainJob, focus: string[]): Promise<Record<string, unknown>> {
  const run = await timedTrain(j);
  const m = run.result.metrics;
  const search = m.selection?.search;
  const peer = await sklearnBalancedLogistic(j);
  const perClass = (values: Record<string, number>) => Object.fromEntries(focus.map((label) => [label, round(values[label])]));
  const product = {
    macroF1: round(m.f1_macro),
    macroF1Interval: m.f1_macro_interval?.map((x) => round(x)),
    perClassF1: perClass(Object.fromEntries(m.labels.map((l) => [l, m.per_class[l].f1]))),
    perClassInterval: Object.fromEntries(focus.map((l) => [l, m.per_class[l].tooFewToTell ? 'too few to tell' : m.per_class[l].f1Interval?.map((x) => round(x))])),
    pick: search?.pick.name ?? m.strategy.name,
    regularization: m.strategy.regularization,
    wordFeatures: m.strategy.lexical?.enabled,
    crossValidatedMacroF1: search ? round(search.candidates.find((c) => c.name === search.pick.name)!.f1_macro.mean) : undefined,
    candidatesMeasured: search?.candidates.length,
    notTried: search?.notTried,
    seconds: { total: round(run.seconds, 1), embed: round(m.seconds.embed, 1), search: round(m.seconds.search ?? 0, 1), refit: round(m.seconds.train, 2) },
    cpuSeconds: round(run.cpuSeconds, 1),
  };
  if ('skipped' in peer) return { documents: { train: m.n_train, test: m.n_test }, product, peer };
  const p = peer as PeerResult;
  return {
    documents: { train: m.n_train, test: m.n_test },
    product,
    peer: { model: p.model, macroF1: round(p.f1_macro), perClassF1: perClass(p.per_class), fitSeconds: round(p.fit_seconds, 2) },
    macroF1Ratio: round(m.f1_macro / p.f1_macro),
    focusF1Difference: Object.fromEntries(focus.map((l) => [l, round(m.per_class[l].f1 - p.per_class[l])])),
  };
}

async function spamAssassin(cacheFile: string): Promise<Record<string, unknown>> {
  const { train, test } = loadSpamAssassin();
  // BENCH_TRAIN_WARM=1 keeps an existing cache (skips the cold run's minutes of embedding).
  if (!process.env.BENCH_TRAIN_WARM) rmSync(cacheFile, { force: true });
  const spamJob = job(cacheFile, 'spam', [...SPAM_LABELS], examplesOf(train, 'train:'), examplesOf(test, 'test:'));
  const cold = await sideBySide(spamJob, ['hard_ham', 'spam']);
  const warm = await timedTrain(spamJob);
  return {
    [process.env.BENCH_TRAIN_WARM ? 'firstRun (cache already warm)' : 'coldCache']: cold,
    warmFullRunSeconds: round(warm.seconds, 1),
    warmSearchSeconds: round(warm.result.metrics.seconds.search ?? 0, 1),
    warmRefitSeconds: round(warm.result.metrics.seconds.train, 2),
  };
}

async function extremeImbalance(cacheFile: string): Promise<Record<string, unknown>> {
  const { train, test } = spamAssassinExtremeImbalance(0);
  return {
    trainSpam: train.filter((e) => e.label === 'spam').length,
    trainTotal: train.length,
    ...(await sideBySide(job(cacheFile, 'extreme', [...SPAM_LABELS], examplesOf(train, 'train:'), examplesOf(test, 'test:')), ['spam', 'hard_ham'])),
  };
}

async function genres(cacheFile: string): Promise<Record<string, unknown>> {
  const d = brownGenres({ seed: 0 });
  const counts = d.labels.map((l) => d.train.filter((e) => e.label === l).length);
  const smallest = d.labels[counts.indexOf(Math.min(...counts))];
  return {
    classes: d.labels.length,
    imbalance: `${Math.max(...counts)} : ${Math.min(...counts)}`,
    split: 'by book (a quarter of each genre\'s files to test)',
    ...(await sideBySide(job(cacheFile, 'genres', d.labels, examplesOf(d.train, 'train:'), examplesOf(d.test, 'test:')), [smallest])),
  };
}

/** A passage-level split of the same passages (books on both sides), as a random split of a passage file gives. */
function passageSplit(d: { train: PassageExample[]; test: PassageExample[] }, minorityTrain = 64, ratio = 89): { train: PassageExample[]; test: PassageExample[] } {
  const all = shuffleInPlace([...d.train, ...d.test], createRng(3));
  const minority = all.filter((e) => e.label !== 'other');
  const other = all.filter((e) => e.label === 'other');
  const testMinority = minorityTrain / 2;
  return {
    train: [...minority.slice(0, minorityTrain), ...other.slice(0, minorityTrain * ratio)],
    test: [...minority.slice(minorityTrain, minorityTrain + testMinority), ...other.slice(minorityTrain * ratio, (minorityTrain + testMinority) * ratio)],
  };
}

async function binary(cacheFile: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { task: 'one Brown genre against all others, 64 minority passages in training and 32 in test, 1 : 89' };
  for (const minority of ['science_fiction', 'religion', 'humor']) {
    const byBook = brownBinary({ minority, seed: 0 });
    const byPassage = passageSplit(byBook);
    out[minority] = {
      byBook: await sideBySide(job(cacheFile, `binary-${minority}`, byBook.labels, examplesOf(byBook.train, 'train:'), examplesOf(byBook.test, 'test:')), [minority]),
      byPassage: await sideBySide(job(cacheFile, `binary-${minority}-p`, byBook.labels, examplesOf(byPassage.train, 'train:'), examplesOf(byPassage.test, 'test:')), [minority]),
    };
  }
  return out;
}

async function multiLabel(cacheFile: string): Promise<Record<string, unknown>> {
  const corpus = brownMultiLabel();
  const toMulti = (rows: typeof corpus.train, prefix: string): TrainExample[] =>
    rows.map((e) => ({ id: `${prefix}${e.id}`, text: e.text, contentHash: hash(e.text), labels: e.labels }));
  const { result, seconds } = await timedTrain({
    task: 'multi_label',
    labels: corpus.labels,
    examples: toMulti(corpus.train, 'train:'),
    test: toMulti(corpus.test, 'test:'),
    settings: { ...DEFAULT_TRAIN_SETTINGS },
    encoder: 'use-lite',
    cacheFile,
    modelDir: path.join(workDir, 'brown-model'),
  });
  const truth = result.predictions.map((row) => corpus.labels.map((l) => (row.trueLabels!.includes(l) ? 1 : 0)));
  const atHalf = result.predictions.map((row) => corpus.labels.map((l) => (row.probabilities[l] >= 0.5 ? 1 : 0)));
  const fixed = multiLabelMetrics(truth, atHalf, corpus.labels);
  return {
    labels: corpus.labels.length,
    train: corpus.train.length,
    test: corpus.test.length,
    pick: result.metrics.selection?.search?.pick.name,
    macroF1: round(result.metrics.f1_macro),
    macroF1AtHalf: round(fixed.f1_macro),
    microF1: round(result.metrics.f1_micro),
    seconds: round(seconds, 1),
    peer: 'the scikit-learn peer runs single-label jobs only',
  };
}

const PARTS = ['spam', 'extreme', 'genres', 'binary', 'multilabel'];

export async function run(parts: string[] = []): Promise<Record<string, unknown>> {
  mkdirSync(workDir, { recursive: true });
  const want = (part: string) => (parts.length === 0 ? PARTS : parts).includes(part);
  const spamCache = path.join(workDir, 'spam.sqlite');
  const brownCache = path.join(workDir, 'brown.sqlite');
  const out: Record<string, unknown> = { machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`, loadAverageAtStart: os.loadavg().map((x) => round(x, 1)) };
  if (want('spam')) out.spamAssassin = await spamAssassin(spamCache);
  if (want('extreme')) out.extremeImbalance = await extremeImbalance(spamCache);
  if (want('genres')) out.brownGenres = await genres(brownCache);
  if (want('binary')) out.brownBinary = await binary(brownCache);
  if (want('multilabel')) out.brownMultiLabel = await multiLabel(brownCache);
  out.longestProgressGapSeconds = round(longestProgressGap, 2);
  out.peakRssMB = Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20);
  out.loadAverageAtEnd = os.loadavg().map((x) => round(x, 1));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(process.argv.slice(2)), null, 2));
}
