// `finetune suggest`: the unlabeled documents of a project worth labeling next, ranked by the latest trained
// model's uncertainty with a boost for rare classes (shared/active-learning.ts), each with its reason.
import { Command, Option } from 'commander';
import type { DocumentInfo } from '../../../shared/domain.js';
import { suggestNext, type Uncertainty } from '../../../shared/active-learning.js';
import type { ProjectStore } from '../store/project-store.js';
import { loadPredictor } from '../training/predictor.js';
import { EXIT, projectOption, statusLine, UsageError, withProject } from './common.js';

interface SuggestOptions {
  project: string;
  count: string;
  measure: Uncertainty;
  run?: string;
  json?: boolean;
}

/** Unlabeled documents are read a page at a time (the store's largest page). */
const PAGE = 500;

export function suggestCommand(): Command {
  return new Command('suggest')
    .description('list the unlabeled documents worth labeling next (the model is least sure about them)')
    .addOption(projectOption())
    .option('--count <n>', 'how many to list', '20')
    .addOption(new Option('--measure <kind>', "how unsure: 'margin' between the two likeliest classes, or 'entropy'").choices(['margin', 'entropy']).default('margin'))
    .option('--run <id>', 'the run whose model ranks them (default: the latest completed run)')
    .option('--json', 'print [{ documentId, score, reason, probabilities }] as JSON')
    .action(async (opts: SuggestOptions) => {
      process.exitCode = await withProject(opts.project, (store) => runSuggest(store, opts), { reading: true });
    });
}

async function runSuggest(store: ProjectStore, opts: SuggestOptions): Promise<number> {
  const count = Number(opts.count);
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count must be a whole number of at least 1, got "${opts.count}".`);
  const completed = store.listRuns().filter((r) => r.status === 'completed');
  const run = opts.run === undefined ? completed[0] && completed.reduce((a, b) => (b.id > a.id ? b : a)) : completed.find((r) => r.id === Number(opts.run));
  if (!run) throw new UsageError(opts.run === undefined ? `${store.file}: no completed training run yet; train first (finetune train --project ...).` : `${store.file}: no completed run ${opts.run}.`);
  const modelDir = store.runModelDir(run.id);
  if (!modelDir) throw new UsageError(`${store.file}: run ${run.id} has no model folder recorded.`);
  const unlabeled: DocumentInfo[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = store.queryDocuments({ label: '', offset, limit: PAGE });
    unlabeled.push(...page.documents);
    if (page.documents.length < PAGE) break;
  }
  if (unlabeled.length === 0) {
    process.stdout.write('Every document is labeled: nothing to suggest.\n');
    return EXIT.ok;
  }
  const predictor = await loadPredictor(modelDir);
  const status = statusLine();
  try {
    const rows = await predictor.predict(unlabeled.map((d) => d.text), ({ done, total }) => status.show(`reading ${done}/${total} unlabeled documents`));
    status.end();
    const labels = predictor.labels;
    const metrics = store.runMetrics(run.id);
    const trainCounts = labels.map((l) => metrics.train_counts?.[l] ?? metrics.per_class[l]?.support ?? 0);
    const suggestions = suggestNext(rows.map((r) => labels.map((l) => r.probabilities[l])), labels, trainCounts, { measure: opts.measure, count });
    if (opts.json) {
      const out = suggestions.map((s) => ({ documentId: unlabeled[s.index].id, score: Number(s.score.toFixed(4)), reason: s.reason, probabilities: rows[s.index].probabilities }));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      process.stdout.write(`The ${suggestions.length} of ${unlabeled.length} unlabeled documents most worth labeling next (run ${run.id}'s model):\n`);
      for (const s of suggestions) process.stdout.write(`#${unlabeled[s.index].id}  ${s.reason}\n    ${unlabeled[s.index].text.replace(/\s+/g, ' ').slice(0, 90)}\n`);
    }
    return EXIT.ok;
  } finally {
    await predictor.dispose();
  }
}
