// Token tasks from the command line: `finetune train --task token --data F [--test T] --out DIR` trains the tagger
// (electron/backend/training/tagger/) and writes metrics.json, predictions.jsonl, report.md and model/;
// `finetune predict --model DIR --data F --out P.jsonl` tags new text and writes each sentence's entities as spans.
import { existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { entitiesOf } from '../../../shared/entities.js';
import type { TokenMetrics } from '../../../shared/tokens.js';
import { readTokenFile, type TokenSentence, type TokenSource } from '../import/tokens.js';
import { isCancelled } from '../cancel.js';
import { formatIssueLine } from './import.js';
import { splitByDocument, type TaggedSentence } from '../training/tagger/tagger.js';
import { tagTexts } from '../training/tagger/encoder-states.js';
import { tokenMetrics, withoutTrainingRepeats } from '../training/tagger/metrics.js';
import { readTagger, saveTagger, scoredSpans } from '../training/tagger/files.js';
import { startTagger } from '../training/worker-client.js';
import { displayPath, EXIT, interruptSignal, statusLine, UsageError } from './common.js';

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
  /** A Hugging Face folder whose token states the tagger reads (each word's first subword). */
  encoder?: string;
  /** Word features too (false: the encoder's states alone, which an ONNX export reproduces). */
  lexical?: boolean;
}

export async function runTokenTrain(opts: TokenTrainOptions): Promise<number> {
  const source = await readTokens(opts.data, 'tagged');
  const all = tagged(source.sentences);
  if (all.length === 0) throw new Error(`${displayPath(source.file)}: its sentences have no tags; a token task trains on tagged tokens (CoNLL token and tag per line, or JSONL spans).`);
  const split = opts.test ? { rest: all, held: tagged((await readTokens(opts.test, 'test')).sentences) } : splitByDocument(all, opts.testFraction, opts.seed);
  const train = split.rest;
  const { test, removed } = withoutTrainingRepeats(train, split.held);
  if (test.length === 0) throw new Error('No test sentence is left that is not also in the training data; give a --test file with other sentences.');

  const status = statusLine();
  const interrupt = interruptSignal();
  const started = performance.now();
  try {
    // In the model worker, as every training: the CLI process stays responsive and Ctrl+C cancels cleanly.
    const training = startTagger(train, opts.seed, {
      encoder: opts.encoder,
      lexical: opts.lexical ?? true,
      onProgress: (p) => status.show(`${p.message ?? p.phase} (${p.done}/${p.total}${p.etaSeconds !== null ? `, about ${Math.ceil(p.etaSeconds)} s left` : ''})`),
    });
    interrupt.signal.addEventListener('abort', () => training.cancel());
    const model = await training.done;
    status.end();
    const predictions = await tagTexts(model, test.map((s) => s.tokens));
    const metrics = tokenMetrics(model, train.length, test, predictions.map((p) => p.tags), removed, (performance.now() - started) / 1000);
    const out = resolve(opts.out);
    mkdirSync(join(out, 'model'), { recursive: true });
    await saveTagger(join(out, 'model'), model);
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

export async function runTokenPredict(folder: string, data: string, outFile: string): Promise<number> {
  const model = await readTagger(folder);
  const source = await readTokens(data, 'readable');
  const started = performance.now();
  const predictions = await tagTexts(model, source.sentences.map((s) => s.tokens));
  const rows = source.sentences.map((s, i) => {
    const { tags, scores } = predictions[i];
    // With the source's text, entities are character spans of it; CoNLL has none, so they are token positions.
    const spans = s.text !== undefined && s.offsets
      ? scoredSpans(s.offsets, predictions[i], model.bio).map((span) => ({ ...span, text: s.text!.slice(span.start, span.end) }))
      : entitiesOf(tags).map((e) => ({ token_start: e.start, token_end: e.end, label: e.type, text: s.tokens.slice(e.start, e.end).join(' '), score: Number((scores.slice(e.start, e.end).reduce((a, b) => a + b, 0) / (e.end - e.start)).toFixed(4)) }));
    return { line: s.line, ...(s.text !== undefined ? { text: s.text } : {}), tokens: s.tokens, tags, spans };
  });
  await writeFile(outFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  process.stdout.write(`Tagged ${rows.length} sentences in ${((performance.now() - started) / 1000).toFixed(1)} s; wrote ${displayPath(outFile)}${model.bio ? ' (entities as spans)' : ''}.\n`);
  return EXIT.ok;
}
