// Token projects' runs in the app: the finished documents split by source document (never on both sides), test
// sentences that repeat a training sentence left out, the tagger trained in the model worker, and what the run keeps
// (its figures, each test document's gold and predicted spans, the model folder the CLI's predict reads too).
import type { TrainSettings } from '../../../shared/domain.js';
import { tagsToSpans, type TaggedText, type TokenMetrics, type TokenResultDocument } from '../../../shared/tokens.js';
import { tokenize } from '../import/tokens.js';
import type { ProjectStore } from '../store/project-store.js';
import type { TrainingSentence } from '../store/token-documents.js';
import { tokenMetrics, withoutTrainingRepeats } from '../training/tagger/metrics.js';
import { readTagger, scoredSpans } from '../training/tagger/files.js';
import { splitByDocument, type TaggerModel } from '../training/tagger/tagger.js';
import { tagTexts } from '../training/tagger/encoder-states.js';

/** Fewer finished documents than this cannot give a development split, a test split and a fit at once. */
const MIN_SENTENCES = 20;

export interface TokenRunPlan {
  train: TrainingSentence[];
  test: TrainingSentence[];
  removed: number;
}

/** The run's split, or a plain reason why there is not enough to train on yet. */
export function planTokenRun(store: ProjectStore, settings: TrainSettings): TokenRunPlan {
  const sentences = store.trainingSentences();
  if (sentences.length < MIN_SENTENCES) {
    throw new Error(`Only ${sentences.length} document${sentences.length === 1 ? ' has' : 's have'} finished marks; mark the words of at least ${MIN_SENTENCES} (documents with nothing to mark count too, once you press "Nothing to mark").`);
  }
  if (!sentences.some((s) => s.tags.some((t) => t !== 'O'))) throw new Error('No finished document has a marked word yet: mark a few entities first.');
  const { rest, held } = splitByDocument(sentences, settings.testFraction, settings.seed);
  const { test, removed } = withoutTrainingRepeats(rest, held);
  if (test.length === 0) throw new Error('No test document is left that is not also in the training data: import or mark more documents.');
  return { train: rest, test, removed };
}

/** What a finished run keeps: its figures and each test document's gold and predicted spans. */
export async function tokenRunOutcome(plan: TokenRunPlan, model: TaggerModel, seconds: number): Promise<{ metrics: TokenMetrics; documents: TokenResultDocument[] }> {
  const predictions = await tagTexts(model, plan.test.map((s) => s.tokens));
  const metrics = tokenMetrics(model, plan.train.length, plan.test, predictions.map((p) => p.tags), plan.removed, seconds);
  const scheme = model.bio ? 'entities' : 'tags';
  const documents = plan.test.map((s, i) => ({ documentId: s.documentId, text: s.text, gold: tagsToSpans(s.words, s.tags, scheme), predicted: scoredSpans(s.words, predictions[i], model.bio) }));
  return { metrics, documents };
}

/** Tags new texts with a run's tagger, keeping the last model read (the Use step asks again and again). */
export class TaggerCache {
  private loaded: { dir: string; model: TaggerModel } | null = null;

  async tag(modelDir: string, texts: string[]): Promise<TaggedText[]> {
    if (this.loaded?.dir !== modelDir) {
      this.loaded = { dir: modelDir, model: await readTagger(modelDir) };
    }
    const { model } = this.loaded;
    const cut = texts.map((text) => ({ text, ...tokenize(text) }));
    const predictions = await tagTexts(model, cut.map((c) => c.tokens));
    return cut.map((c, i) => ({ text: c.text, words: c.offsets, spans: scoredSpans(c.offsets, predictions[i], model.bio) }));
  }
}
