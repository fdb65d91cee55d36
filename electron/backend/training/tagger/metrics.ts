// A token run's figures, for the CLI and the app alike: entity-level scores (seqeval strict, IOB2) when the tags are
// BIO, and the token-level report per tag always, on test sentences that do not repeat a training sentence.
import { entityScores } from '../../../../shared/entities.js';
import { singleLabelMetrics } from '../../../../shared/metrics.js';
import type { TokenMetrics } from '../../../../shared/tokens.js';
import type { TaggedSentence, TaggerModel } from './tagger.js';

/** Test sentences whose words are not also a training sentence (those say nothing about new text), and how many went. */
export function withoutTrainingRepeats<S extends { tokens: string[] }>(train: Array<{ tokens: string[] }>, test: S[]): { test: S[]; removed: number } {
  const seen = new Set(train.map((s) => s.tokens.join('\u0000')));
  const kept = test.filter((s) => !seen.has(s.tokens.join('\u0000')));
  return { test: kept, removed: test.length - kept.length };
}

export function tokenMetrics(model: TaggerModel, nTrain: number, test: TaggedSentence[], predicted: string[][], duplicates: number, seconds: number): TokenMetrics {
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
    features: model.encoder ? (model.lexical === false ? 'encoder' : 'encoder+words') : 'words',
    seconds: Number(seconds.toFixed(1)),
  };
}

