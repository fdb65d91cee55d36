// A tagger's model folder (tagger.json and a manifest saying what it is), written by the CLI and the app alike, and
// the character spans of its predictions with their scores.
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tagsToSpans, type ScoredSpan } from '../../../../shared/tokens.js';
import type { TaggedPrediction, TaggerModel } from './tagger.js';

export const TAGGER_FILE = 'tagger.json';

export async function saveTagger(modelDir: string, model: TaggerModel): Promise<void> {
  mkdirSync(modelDir, { recursive: true });
  await writeFile(join(modelDir, TAGGER_FILE), JSON.stringify(model));
  await writeFile(join(modelDir, 'manifest.json'), JSON.stringify({ kind: 'tagger', file: TAGGER_FILE, tags: model.tags, bio: model.bio }, null, 2) + '\n');
}

/** Whether a model folder holds a tagger (its manifest says so); the CLI's predict and the export dispatch on it. */
export async function isTaggerFolder(folder: string): Promise<boolean> {
  try {
    return (JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')) as { kind?: string }).kind === 'tagger';
  } catch {
    return false;
  }
}

export async function readTagger(modelDir: string): Promise<TaggerModel> {
  const file = join(modelDir, TAGGER_FILE);
  if (!existsSync(file)) throw new Error(`${modelDir}: this model is not a tagger (no ${TAGGER_FILE}).`);
  return JSON.parse(await readFile(file, 'utf8')) as TaggerModel;
}

/** Spans of one tagged text, each scored by its words' mean probability. */
export function scoredSpans(words: Array<[number, number]>, prediction: TaggedPrediction, bio: boolean): ScoredSpan[] {
  const spans = tagsToSpans(words, prediction.tags, bio ? 'entities' : 'tags');
  return spans.map((span) => {
    const inside = words.map((w, i) => [w, i] as const).filter(([[s, e]]) => s >= span.start && e <= span.end).map(([, i]) => prediction.scores[i]);
    return { ...span, score: Number((inside.reduce((a, b) => a + b, 0) / inside.length).toFixed(4)) };
  });
}
