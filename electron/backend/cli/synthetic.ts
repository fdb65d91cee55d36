// `finetune synthetic ...`: generate synthetic minority examples for a small class, list them, accept or reject them.
// Only accepted ones are training examples; the app's review screen does the same with editing.
import { Command, Option } from 'commander';
import type { SyntheticExample } from '../../../shared/api.js';
import { SYNTHETIC_METHOD_DESCRIPTIONS, type SyntheticStatus } from '../../../shared/domain.js';
import { projectOption, UsageError, withProject } from './common.js';

const PREVIEW_CHARS = 100;

function wholeNumber(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`${name} must be a whole number, got "${value}".`);
  return n;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function formatExamples(rows: SyntheticExample[]): string {
  if (rows.length === 0) return 'No synthetic examples.\n';
  return rows
    .map((row) => {
      const preview = row.text.replace(/\s+/g, ' ').slice(0, PREVIEW_CHARS);
      const parents = row.synthetic.parents.map((p) => `#${p}`).join(' + ');
      return `#${row.id}  ${row.synthetic.status.padEnd(8)}  ${row.labels.join(', ')}  ${row.synthetic.method} of ${parents}${row.synthetic.edited ? ' (edited)' : ''}\n    ${preview}`;
    })
    .join('\n')
    .concat('\n');
}

const print = (rows: SyntheticExample[], json: boolean | undefined, summary: string): void => {
  process.stdout.write(json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatExamples(rows)}${summary}\n`);
};

function reviewVerb(status: 'accepted' | 'rejected', verb: 'accept' | 'reject'): Command {
  const command = new Command(verb)
    .description(status === 'accepted' ? 'accept candidates: they become training examples' : 'reject candidates: they never train')
    .addOption(projectOption())
    .requiredOption('--id <id>', 'a synthetic document id (repeat --id for several)', collect, [])
    .option('--json', 'print the reviewed examples as JSON');
  if (status === 'accepted') command.option('--text <text>', 'replace the text before accepting (one --id only)');
  return command.action(async (opts: { project: string; id: string[]; text?: string; json?: boolean }) => {
    const ids = opts.id.map((id) => wholeNumber(id, '--id'));
    if (opts.text !== undefined && ids.length !== 1) throw new UsageError('--text edits one example: give exactly one --id.');
    const rows = await withProject(opts.project, (store) => ids.map((id) => store.reviewSynthetic(id, status, opts.text)));
    print(rows, opts.json, `${rows.length} ${status}.`);
  });
}

export function syntheticCommand(): Command {
  const methods = Object.entries(SYNTHETIC_METHOD_DESCRIPTIONS).map(([name, what]) => `  ${name}: ${what}`).join('\n');
  return new Command('synthetic')
    .description('synthetic minority examples, made from a class\'s own documents and reviewed before they train')
    .addHelpText('after', `\nMethods:\n${methods}\n`)
    .addCommand(
      new Command('generate')
        .description('make pending candidates for a small class (never a copy or near-copy of a document)')
        .addOption(projectOption())
        .requiredOption('--label <name>', 'the class to make examples of')
        .option('--count <n>', 'how many candidates', '20')
        .option('--seed <n>', 'random seed (default: the number of synthetic examples the class already has)')
        .option('--json', 'print the candidates as JSON')
        .action(async (opts: { project: string; label: string; count: string; seed?: string; json?: boolean }) => {
          const count = wholeNumber(opts.count, '--count');
          const seed = opts.seed === undefined ? undefined : wholeNumber(opts.seed, '--seed');
          const rows = await withProject(opts.project, (store) => store.generateSynthetic({ label: opts.label, count, seed }));
          const shortfall = rows.length < count ? ` (asked for ${count}: the documents of "${opts.label}" allowed no more distinct ones)` : '';
          print(rows, opts.json, `${rows.length} candidates for "${opts.label}" are pending review${shortfall}. Accept with: finetune synthetic accept --project ${opts.project} --id ID`);
        }),
    )
    .addCommand(
      new Command('list')
        .description('list synthetic examples with their method, parents and review status')
        .addOption(projectOption())
        .addOption(new Option('--status <status>', 'only this review status').choices(['pending', 'accepted', 'rejected']))
        .option('--label <name>', 'only this class')
        .option('--json', 'print them as JSON')
        .action(async (opts: { project: string; status?: SyntheticStatus; label?: string; json?: boolean }) => {
          const rows = await withProject(opts.project, (store) => store.listSynthetic({ status: opts.status, label: opts.label }), { reading: true });
          print(rows, opts.json, `${rows.length} synthetic examples.`);
        }),
    )
    .addCommand(reviewVerb('accepted', 'accept'))
    .addCommand(reviewVerb('rejected', 'reject'));
}
