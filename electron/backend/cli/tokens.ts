// Token tasks from the command line: `finetune train --task token --data F [--test T] --out DIR` trains the tagger
// (electron/backend/training/tagger/) and writes metrics.json, predictions.jsonl, report.md and model/;
// `finetune predict --model DIR --data F --out P.jsonl` tags new text and writes each sentence's entities as spans.
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { entitiesOf, entityScores, type EntityScores } from '../../../shared/entities.js';
import { singleLabelMetrics, type SingleLabelMetrics } from '../../../shared/metrics.js';
import { readTokenFile, type TokenSentence, type TokenSource } from '../import/tokens.js';
import { isCancelled } from '../cancel.js';
import { formatIssueLine } from './import.js';
import { splitByDocument, tagSentences, type TaggedSentence, type TaggerModel } from '../training/tagger/tagger.js';
import { startTagger } from '../training/worker-client.js';
import { displayPath, EXIT, interruptSignal, statusLine, UsageError } from './common.js';

export const TAGGER_FILE = 'tagger.json';

export interface TokenMetrics {
  task: 'token';
  tags: string[];
  bio: boolean;
  n_train_sentences: number;
  n_test_sentences: number;
  /** Test sentences dropped because the same token sequence is in the training data. */
  test_duplicates_removed: number;
  /** BIO tags: entity-level (seqeval strict, IOB2); the headline. */
  entities?: Omit<EntityScores, 'sentences'>;
  /** Token-level precision, recall and F1 per tag (scikit-learn definitions); for plain tag sets the headline is their macro-F1. */
  tokens: Pick<SingleLabelMetrics, 'f1_macro' | 'f1_micro' | 'per_class' | 'confusion_matrix'>;
  settings: TaggerModel['settings'];
  selection: TaggerModel['selection'];
  seconds: number;
}

async function readTokens(file: string, what: string): Promise<TokenSource> {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file.`);
  const source = await readTokenFile(resolve(file));
  for (const issue of source.issues) process.stderr.write(`${issue.status} ${formatIssueLine(issue)}\n`);
  for (const notice of source.notices) process.stderr.write(`note: ${displayPath(source.file)}: ${notice}\n`);
  if (source.sentences.length === 0) throw new Error(`${displayPath(source.file)}: no ${what} sentences could be read${source.issues.length ? ' (problems listed above)' : ''}.`);
  return source;
}

const tagged = (sentences: TokenSentence[]): TaggedSentence[] =>
  sentences.filter((s): s is TokenSentence & { tags: string[] } => s.tags !== null).map((s) => ({ tokens: s.tokens, tags: s.tags, document: s.document }));

export interface TokenTrainOptions {
  data: string;
  test?: string;
  out: string;
  testFraction: number;
  seed: number;
}

export async function runTokenTrain(opts: TokenTrainOptions): Promise<number> {
  const source = await readTokens(opts.data, 'tagged');
  const all = tagged(source.sentences);
  if (all.length === 0) throw new Error(`${displayPath(source.file)}: its sentences have no tags; a token task trains on tagged tokens (CoNLL token and tag per line, or JSONL spans).`);
  const split = opts.test ? { rest: all, held: tagged((await readTokens(opts.test, 'test')).sentences) } : splitByDocument(all, opts.testFraction, opts.seed);
  const train = split.rest;
  let test = split.held;
  // Deduplicated evaluation: a test sentence whose tokens are also a training sentence says nothing about new text.
  const seen = new Set(train.map((s) => s.tokens.join('\u0000')));
  const before = test.length;
  test = test.filter((s) => !seen.has(s.tokens.join('\u0000')));
  if (test.length === 0) throw new Error('No test sentence is left that is not also in the training data; give a --test file with other sentences.');

  const status = statusLine();
  const interrupt = interruptSignal();
  const started = performance.now();
  try {
    // In the model worker, as every training: the CLI process stays responsive and Ctrl+C cancels cleanly.
    const training = startTagger(train, opts.seed, {
      onProgress: (p) => status.show(`${p.message ?? p.phase} (${p.done}/${p.total}${p.etaSeconds !== null ? `, about ${Math.ceil(p.etaSeconds)} s left` : ''})`),
    });
    interrupt.signal.addEventListener('abort', () => training.cancel());
    const model = await training.done;
    status.end();
    const predictions = tagSentences(model, test.map((s) => s.tokens));
    const metrics = tokenMetrics(model, train.length, test, predictions.map((p) => p.tags), before - test.length, (performance.now() - started) / 1000);
    const out = resolve(opts.out);
    mkdirSync(join(out, 'model'), { recursive: true });
    await writeFile(join(out, 'model', TAGGER_FILE), JSON.stringify(model));
    await writeFile(join(out, 'model', 'manifest.json'), JSON.stringify({ kind: 'tagger', file: TAGGER_FILE, tags: model.tags, bio: model.bio }, null, 2) + '\n');
    await writeFile(join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    await writeFile(join(out, 'predictions.jsonl'), test.map((s, i) => JSON.stringify({ tokens: s.tokens, gold: s.tags, predicted: predictions[i].tags })).join('\n') + '\n');
    await writeFile(join(out, 'report.md'), tokenReport(metrics));
    process.stdout.write(`${headline(metrics)}\nWrote ${displayPath(join(out, 'metrics.json'))}, predictions.jsonl, report.md and model/.\n`);
    return EXIT.ok;
  } catch (error) {
    status.end();
    if (isCancelled(error)) {
      process.stderr.write('Training cancelled.\n');
      return EXIT.interrupted;
    }
    throw error;
  } finally {
    interrupt.dispose();
  }
}

function tokenMetrics(model: TaggerModel, nTrain: number, test: TaggedSentence[], predicted: string[][], duplicates: number, seconds: number): TokenMetrics {
  const index = new Map(model.tags.map((t, i) => [t, i]));
  // A test tag never seen in training is scored as a tag of its own, which the model can only miss.
  const tags = [...model.tags, ...[...new Set(test.flatMap((s) => s.tags))].filter((t) => !index.has(t)).sort()];
  tags.forEach((t, i) => index.set(t, i));
  const token = singleLabelMetrics(test.flatMap((s) => s.tags.map((t) => index.get(t)!)), predicted.flat().map((t) => index.get(t)!), tags);
  const entities = model.bio ? entityScores(test.map((s) => s.tags), predicted) : undefined;
  return {
    task: 'token',
    tags,
    bio: model.bio,
    n_train_sentences: nTrain,
    n_test_sentences: test.length,
    test_duplicates_removed: duplicates,
    ...(entities ? { entities: { micro: entities.micro, macro: entities.macro, perType: entities.perType, goldEntities: entities.goldEntities } } : {}),
    tokens: { f1_macro: token.f1_macro, f1_micro: token.f1_micro, per_class: token.per_class, confusion_matrix: token.confusion_matrix },
    settings: model.settings,
    selection: model.selection,
    seconds: Number(seconds.toFixed(1)),
  };
}

const range = ([lo, hi]: [number, number]) => `${lo.toFixed(3)}–${hi.toFixed(3)}`;

function headline(m: TokenMetrics): string {
  if (m.entities) {
    const e = m.entities;
    const types = Object.entries(e.perType).map(([type, s]) => `  ${type.padEnd(16)} F1 ${s.f1.toFixed(3)}  P ${s.precision.toFixed(3)}  R ${s.recall.toFixed(3)}  support ${s.support}`);
    return [`Entity F1 ${e.micro.f1.toFixed(3)} micro (95% interval ${range(e.micro.interval)}), ${e.macro.f1.toFixed(3)} macro over types, on ${m.n_test_sentences} test sentences (${e.goldEntities} entities).`, ...types].join('\n');
  }
  const rows = Object.entries(m.tokens.per_class).map(([tag, s]) => `  ${tag.padEnd(16)} F1 ${s.f1.toFixed(3)}  support ${s.support}`);
  return [`Tag macro-F1 ${m.tokens.f1_macro.toFixed(3)} over ${m.tags.length} tags on ${m.n_test_sentences} test sentences.`, ...rows].join('\n');
}

function tokenReport(m: TokenMetrics): string {
  const lines = ['# Token task report', '', headline(m).split('\n')[0], ''];
  if (m.entities) {
    lines.push('| entity type | precision | recall | F1 | 95% interval | support |', '|---|---|---|---|---|---|');
    for (const [type, s] of Object.entries(m.entities.perType)) lines.push(`| ${type} | ${s.precision.toFixed(3)} | ${s.recall.toFixed(3)} | ${s.f1.toFixed(3)} | ${range(s.f1Interval)} | ${s.support} |`);
    lines.push('', 'Entities are scored strictly (seqeval, IOB2): a predicted entity counts only when its type, first and last word all match.', '');
  }
  lines.push('| tag | precision | recall | F1 | tokens |', '|---|---|---|---|---|');
  for (const [tag, s] of Object.entries(m.tokens.per_class)) lines.push(`| ${tag} | ${s.precision.toFixed(3)} | ${s.recall.toFixed(3)} | ${s.f1.toFixed(3)} | ${s.support} |`);
  const c = m.settings;
  lines.push('', `Chosen on a development split of the training sentences: C ${c.c}, ${c.weights === 'none' ? 'no tag weights' : 'rare tags weighted up (square-root inverse frequency)'}, transition weight ${c.transitionWeight}${m.bio ? ', BIO-constrained decoding' : ''}.`);
  if (m.test_duplicates_removed > 0) lines.push(`${m.test_duplicates_removed} test sentences were left out because the same words are in the training data.`);
  return lines.join('\n') + '\n';
}

/** Whether a model folder holds a tagger (its manifest says so). */
export async function isTaggerFolder(folder: string): Promise<boolean> {
  const manifest = join(folder, 'manifest.json');
  if (!existsSync(manifest)) return false;
  return (JSON.parse(await readFile(manifest, 'utf8')) as { kind?: string }).kind === 'tagger';
}

export async function runTokenPredict(folder: string, data: string, outFile: string): Promise<number> {
  const model = JSON.parse(await readFile(join(folder, TAGGER_FILE), 'utf8')) as TaggerModel;
  const source = await readTokens(data, 'readable');
  const started = performance.now();
  const predictions = tagSentences(model, source.sentences.map((s) => s.tokens));
  const rows = source.sentences.map((s, i) => {
    const { tags, scores } = predictions[i];
    const spans = entitiesOf(tags).map((e) => {
      const score = Number((scores.slice(e.start, e.end).reduce((a, b) => a + b, 0) / (e.end - e.start)).toFixed(4));
      if (s.text !== undefined && s.offsets) {
        const [start, end] = [s.offsets[e.start][0], s.offsets[e.end - 1][1]];
        return { start, end, label: e.type, text: s.text.slice(start, end), score };
      }
      return { token_start: e.start, token_end: e.end, label: e.type, text: s.tokens.slice(e.start, e.end).join(' '), score };
    });
    return { line: s.line, ...(s.text !== undefined ? { text: s.text } : {}), tokens: s.tokens, tags, spans };
  });
  await writeFile(outFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  process.stdout.write(`Tagged ${rows.length} sentences in ${((performance.now() - started) / 1000).toFixed(1)} s; wrote ${displayPath(outFile)}${model.bio ? ' (entities as spans)' : ''}.\n`);
  return EXIT.ok;
}
