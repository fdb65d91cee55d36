// Token tasks (issue 10) beside the classic peer, in the same run on the same splits: Brown sentences split by
// file, tagged with BIO names and titles (entity F1, seqeval strict) and with 13 coarse parts of speech (tag
// macro-F1). The peer is scikit-learn's logistic regression over the textbook word/affix/shape/neighbour features
// (bench/peers/sklearn_tagger.py), predicting token by token.
// Run alone: `npx tsx bench/tagger.ts`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { entityScores } from '../shared/entities.js';
import { macroF1 } from '../shared/metrics.js';
import { tagSentences, trainTagger } from '../electron/backend/training/tagger/tagger.js';
import { brownTagged, type BrownSentence } from '../test/fixtures/brown-tags.js';
import { ensurePythonModules } from './peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TRAIN_SENTENCES = 6000;
const TEST_SENTENCES = 3000;
const round = (x: number) => Number(x.toFixed(3));
const every = (list: BrownSentence[], n: number) => list.filter((_, i) => i % Math.ceil(list.length / n) === 0);

function peerTags(train: BrownSentence[], test: BrownSentence[], kind: 'names' | 'pos'): { predicted: string[][]; seconds: number } | { error: string } {
  const started = performance.now();
  const run = spawnSync('/usr/bin/python3', [path.join(here, 'peers', 'sklearn_tagger.py')], {
    input: JSON.stringify({ train: train.map((s) => [s.tokens, s[kind]]), test: test.map((s) => s.tokens), C: 1 }),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (run.status !== 0) return { error: run.stderr.trim().split('\n').slice(-2).join(' ') };
  return { predicted: (JSON.parse(run.stdout) as { predicted: string[][] }).predicted, seconds: (performance.now() - started) / 1000 };
}

function score(kind: 'names' | 'pos', test: BrownSentence[], predicted: string[][]) {
  if (kind === 'names') {
    const s = entityScores(test.map((x) => x.names), predicted);
    return {
      entityMicroF1: round(s.micro.f1),
      entityMicroInterval: s.micro.interval.map(round),
      entityMacroF1: round(s.macro.f1),
      perType: Object.fromEntries(Object.entries(s.perType).map(([t, v]) => [t, { f1: round(v.f1), support: v.support }])),
    };
  }
  const tags = [...new Set(test.flatMap((x) => x.pos))].sort();
  const index = new Map(tags.map((t, i) => [t, i]));
  // A tag the model invents for a test set that lacks it counts as wrong (index past the end).
  const ids = (list: string[][]) => list.flat().map((t) => index.get(t) ?? tags.length);
  return { tagMacroF1: round(macroF1(ids(test.map((x) => x.pos)), ids(predicted), tags.length)) };
}

export async function run(): Promise<Record<string, unknown>> {
  const missing = ensurePythonModules(['sklearn'], ['python3-sklearn']);
  const { train: allTrain, test: allTest } = brownTagged();
  const train = every(allTrain, TRAIN_SENTENCES);
  const test = every(allTest, TEST_SENTENCES);
  const out: Record<string, unknown> = { trainSentences: train.length, testSentences: test.length, trainTokens: train.reduce((n, s) => n + s.tokens.length, 0) };
  for (const kind of ['names', 'pos'] as const) {
    const started = performance.now();
    const model = await trainTagger(train.map((s) => ({ tokens: s.tokens, tags: s[kind], document: s.document })));
    const seconds = (performance.now() - started) / 1000;
    const product = { ...score(kind, test, tagSentences(model, test.map((s) => s.tokens)).map((p) => p.tags)), settings: model.settings, seconds: round(seconds) };
    const peerRun = missing ? { error: missing } : peerTags(train, test, kind);
    const peer = 'error' in peerRun ? peerRun : { ...score(kind, test, peerRun.predicted), seconds: round(peerRun.seconds) };
    out[kind === 'names' ? 'namesAndTitles' : 'coarsePartsOfSpeech'] = { product, peer: { model: 'sklearn LogisticRegression(C=1), word/affix/shape/neighbour features', ...peer } };
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(JSON.stringify(await run(), null, 2));
