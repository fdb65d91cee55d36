// `finetune synthetic ...`: generate synthetic minority examples for a small class, list them, accept or reject them.
// Only accepted ones are training examples; the app's review screen does the same with editing.
import { Command, Option } from 'commander';
import type { SyntheticExample } from '../../../shared/api.js';
import { SYNTHETIC_METHOD_DESCRIPTIONS, type SyntheticStatus } from '../../../shared/domain.js';
import { projectOption, UsageError, withProject } from './common.js';
import { userInfo } from 'node:os';
import { llmCandidates } from '../synthetic/llm.js';

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
    .option('--reviewer <name>', 'who reviewed them, kept with each example (default: your user name)', defaultReviewer())
    .option('--json', 'print the reviewed examples as JSON');
  if (status === 'accepted') command.option('--text <text>', 'replace the text before accepting (one --id only)');
  return command.action(async (opts: { project: string; id: string[]; text?: string; reviewer: string; json?: boolean }) => {
    const ids = opts.id.map((id) => wholeNumber(id, '--id'));
    if (opts.text !== undefined && ids.length !== 1) throw new UsageError('--text edits one example: give exactly one --id.');
    const rows = await withProject(opts.project, (store) => ids.map((id) => store.reviewSynthetic(id, status, opts.text, opts.reviewer)));
    print(rows, opts.json, `${rows.length} ${status}.`);
  });
}

/** The login name, where the system has one (a container may have no passwd entry for its user). */
function defaultReviewer(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

interface GenerateOptions {
  project: string;
  label: string;
  count: string;
  seed?: string;
  llm?: string;
  model?: string;
  temperature: string;
  maxWords: string;
  examples: string;
  timeout: string;
  allowRemote?: boolean;
  json?: boolean;
}

/**
 * Reads the prompt documents, asks the model with the project closed (an answer can take minutes), then adds what it
 * wrote as pending candidates. A failed request changes nothing in the project.
 */
async function generateWithLlm(opts: GenerateOptions, count: number, seed?: number): Promise<SyntheticExample[]> {
  if (!opts.model) throw new UsageError('--llm needs --model NAME (the model as the server names it, e.g. llama3.2).');
  const temperature = Number(opts.temperature);
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2) throw new UsageError(`--temperature must be a number from 0 to 2, got "${opts.temperature}".`);
  return llmCandidates(
    { baseUrl: opts.llm!, model: opts.model, label: opts.label, count, temperature, maxWords: wholeNumber(opts.maxWords, '--max-words'), timeoutSeconds: wholeNumber(opts.timeout, '--timeout'), allowRemote: opts.allowRemote },
    // The project is closed while the model writes: an answer can take minutes.
    () => withProject(
      opts.project,
      (store) => ({ shown: store.syntheticPromptDocuments(opts.label, wholeNumber(opts.examples, '--examples'), seed), description: store.labels().find((l) => l.name === opts.label)?.description ?? undefined }),
      { reading: true },
    ),
    (texts, sources) => withProject(opts.project, (store) => store.addSyntheticCandidates(opts.label, texts, sources, 'llm')),
  );
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
        .option('--llm <url>', 'ask a local language model instead (OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1 for Ollama)')
        .option('--model <name>', 'with --llm: the model to ask, as the server names it')
        .option('--temperature <t>', 'with --llm: sampling temperature', '0.8')
        .option('--max-words <n>', 'with --llm: the longest example to ask for, in words', '120')
        .option('--examples <n>', 'with --llm: real documents of the class shown in the prompt', '5')
        .option('--timeout <seconds>', 'with --llm: how long to wait for the answer', '120')
        .option('--allow-remote', 'with --llm: allow a server that is not on this computer (the documents shown leave it)')
        .option('--json', 'print the candidates as JSON')
        .action(async (opts: GenerateOptions) => {
          const count = wholeNumber(opts.count, '--count');
          const seed = opts.seed === undefined ? undefined : wholeNumber(opts.seed, '--seed');
          const rows = opts.llm !== undefined ? await generateWithLlm(opts, count, seed) : await withProject(opts.project, (store) => store.generateSynthetic({ label: opts.label, count, seed }));
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
