// `finetune suggest`: the unlabeled documents of a project worth labeling next, ranked by the latest trained
// model's uncertainty with a boost for rare classes (shared/active-learning.ts), each with its reason.
import { Command, Option } from 'commander';
import type { Uncertainty } from '../../../shared/active-learning.js';
import { labelNext, NoModelYet } from '../app/suggestions.js';
import type { ProjectStore } from '../store/project-store.js';
import { loadPredictor, type Predictor } from '../training/predictor.js';
import { EXIT, projectOption, statusLine, UsageError, withProject } from './common.js';

interface SuggestOptions {
  project: string;
  count: string;
  measure: Uncertainty;
  run?: string;
  json?: boolean;
}

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
  const status = statusLine();
  let predictor: Predictor | null = null;
  try {
    const next = await labelNext(
      store,
      async (modelDir, texts) => {
        predictor = await loadPredictor(modelDir);
        return predictor.predict(texts, ({ done, total }) => status.show(`reading ${done}/${total} unlabeled documents`));
      },
      { count, measure: opts.measure, runId: opts.run === undefined ? undefined : Number(opts.run) },
    ).catch((error: unknown) => {
      throw error instanceof NoModelYet ? new UsageError(`${store.file}: ${error.message}`) : error;
    });
    status.end();
    if (next.unlabeled === 0) {
      process.stdout.write('Every document is labeled: nothing to suggest.\n');
    } else if (opts.json) {
      const out = next.suggestions.map((s) => ({ documentId: s.document.id, score: s.score, reason: s.reason, probabilities: s.probabilities }));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      process.stdout.write(`The ${next.suggestions.length} of ${next.unlabeled} unlabeled documents most worth labeling next (run ${next.runId}'s model):\n`);
      for (const s of next.suggestions) process.stdout.write(`#${s.document.id}  ${s.reason}\n    ${s.document.text.replace(/\s+/g, ' ').slice(0, 90)}\n`);
    }
    return EXIT.ok;
  } finally {
    await (predictor as Predictor | null)?.dispose();
  }
}
