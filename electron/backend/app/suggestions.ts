// "Label next" for a project, shared by the app (predictions from the long-lived prediction worker) and the CLI
// (predictions in its own process): the latest completed run's model reads the unlabeled documents and
// shared/active-learning.ts ranks them.
import type { LabelNextResult } from '../../../shared/api.js';
import type { DocumentInfo, PredictionRow } from '../../../shared/domain.js';
import { suggestNext, type Uncertainty } from '../../../shared/active-learning.js';
import type { ProjectStore } from '../store/project-store.js';


export class NoModelYet extends Error {
  override name = 'NoModelYet';
}

/** The store's largest page. */
const PAGE = 1000;

export async function labelNext(
  store: ProjectStore,
  predict: (modelDir: string, texts: string[]) => Promise<PredictionRow[]>,
  { count = 20, measure = 'margin' as Uncertainty, runId }: { count?: number; measure?: Uncertainty; runId?: number } = {},
): Promise<LabelNextResult> {
  const completed = store.listRuns().filter((r) => r.status === 'completed');
  const run = runId === undefined ? completed[0] : completed.find((r) => r.id === runId);
  if (!run) throw new NoModelYet(runId === undefined ? 'No trained model yet: train one first, then it can say which documents to label next.' : `No completed run ${runId} in this project.`);
  const modelDir = store.runModelDir(run.id);
  if (!modelDir) throw new NoModelYet(`Run ${run.id} has no model folder recorded.`);
  const unlabeled: DocumentInfo[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = store.queryDocuments({ label: '', offset, limit: PAGE });
    unlabeled.push(...page.documents);
    if (page.documents.length < PAGE) break;
  }
  if (unlabeled.length === 0) return { runId: run.id, unlabeled: 0, suggestions: [] };
  const rows = await predict(modelDir, unlabeled.map((d) => d.text));
  const metrics = store.runMetrics(run.id);
  const labels = metrics.labels;
  const trainCounts = labels.map((l) => metrics.train_counts?.[l] ?? metrics.per_class[l]?.support ?? 0);
  const ranked = suggestNext(rows.map((r) => labels.map((l) => r.probabilities[l] ?? 0)), labels, trainCounts, { measure, count });
  return {
    runId: run.id,
    unlabeled: unlabeled.length,
    suggestions: ranked.map((s) => ({ document: unlabeled[s.index], reason: s.reason, score: Number(s.score.toFixed(4)), probabilities: rows[s.index].probabilities })),
  };
}
