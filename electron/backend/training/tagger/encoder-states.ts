// Token states for the tagger from a Hugging Face folder: each word's first-subword last hidden state (the seed's
// alignment: the first subword carries the word's tag, the rest are ignored), attached to sentences for training and
// for tagging. The loaded model is kept per folder for the life of the process (the worker, the app, the CLI).
import { loadHfTokenStates, type HfTokenStates } from '../../encoders/hf.js';
import { tagSentences, type TaggedPrediction, type TaggerEncoder, type TaggerModel } from './tagger.js';

const loaded = new Map<string, Promise<HfTokenStates>>();

function statesOf(folder: string): Promise<HfTokenStates> {
  let source = loaded.get(folder);
  if (!source) {
    source = loadHfTokenStates(folder);
    loaded.set(folder, source);
    source.catch(() => loaded.delete(folder));
  }
  return source;
}

/** The sentences with their words' states, and the encoder they came from. */
export async function withEncoderStates<S extends { tokens: string[] }>(
  folder: string,
  sentences: S[],
  signal?: AbortSignal,
  onProgress?: (p: { done: number; total: number }) => void,
): Promise<{ sentences: Array<S & { states: Float32Array }>; encoder: TaggerEncoder; wordsWithoutState: number }> {
  const source = await statesOf(folder);
  const { states, wordsWithoutState } = await source.wordStates(sentences.map((s) => s.tokens), signal, onProgress);
  return { sentences: sentences.map((s, i) => ({ ...s, states: states[i] })), encoder: { folder: source.settings.folder, id: source.id, alignment: 'first-subword' }, wordsWithoutState };
}

/** Tags sentences with a model, computing its encoder's token states first when it reads them. */
export async function tagTexts(model: TaggerModel, sentences: string[][]): Promise<TaggedPrediction[]> {
  if (!model.encoder) return tagSentences(model, sentences);
  const source = await statesOf(model.encoder.folder);
  if (source.id !== model.encoder.id) {
    throw new Error(`${model.encoder.folder}: the encoder's files changed since this tagger was trained (it read ${model.encoder.id}, the folder is now ${source.id}); train again.`);
  }
  const { sentences: withStates } = await withEncoderStates(model.encoder.folder, sentences.map((tokens) => ({ tokens })));
  return tagSentences(model, withStates);
}
