// `finetune labels ...`: the taxonomy verbs (list, add, rename, merge, delete, describe).
import { Command } from 'commander';
import type { LabelInfo } from '../../../shared/domain.js';
import { projectOption, withProject } from './common.js';

function formatLabels(labels: LabelInfo[]): string {
  if (labels.length === 0) return 'No labels yet.\n';
  const width = Math.max(5, ...labels.map((l) => l.name.length));
  const rows = labels.map(
    (l) => `${l.name.padEnd(width)}  ${String(l.count).padStart(9)}  ${l.colour}${l.description ? `  ${l.description}` : ''}`,
  );
  return `${['label'.padEnd(width), 'documents'.padStart(9), 'colour'].join('  ')}\n${rows.join('\n')}\n`;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

const countOf = (labels: LabelInfo[], name: string): number => labels.find((l) => l.name === name)?.count ?? 0;

interface VerbOptions {
  project: string;
  description?: string;
  colour?: string;
}

/** A labels subcommand: --project plus its arguments; prints what `run` returns. */
function verb(name: string, description: string, args: string[], run: (opts: VerbOptions, ...args: string[]) => Promise<string>): Command {
  const command = new Command(name).description(description).addOption(projectOption());
  for (const arg of args) command.argument(arg);
  return command.action(async (...params: unknown[]) => {
    const values = params.slice(0, args.length) as string[];
    process.stdout.write(await run(params[args.length] as VerbOptions, ...values));
  });
}

export function labelsCommand(): Command {
  const add = verb('add', 'add a label', ['<name>'], ({ project, description, colour }, name) =>
    withProject(project, (store) => formatLabels(store.addLabel(name, { description, colour }))),
  )
    .option('--description <text>', 'what the label means, for the people labeling')
    .option('--colour <#rrggbb>', 'display colour (default: the next palette colour)');

  return new Command('labels')
    .description('list and edit the labels of a project')
    .addCommand(
      verb('list', 'list the labels with their document counts', [], ({ project }) =>
        withProject(project, (store) => formatLabels(store.labels()), { reading: true }),
      ),
    )
    .addCommand(add)
    .addCommand(
      verb('rename', 'rename a label (its documents keep it)', ['<from>', '<to>'], ({ project }, from, to) =>
        withProject(project, (store) => `Renamed "${from}" to "${to}".\n${formatLabels(store.renameLabel(from, to))}`),
      ),
    )
    .addCommand(
      verb('merge', 'move every document of one label to another, then delete the first', ['<from>', '<into>'], ({ project }, from, into) =>
        withProject(project, (store) => {
          const labels = store.mergeLabels(from, into);
          return `Merged "${from}" into "${into}": "${into}" now has ${plural(countOf(labels, into), 'document')}.\n${formatLabels(labels)}`;
        }),
      ),
    )
    .addCommand(
      verb('delete', 'delete a label and its annotations (documents stay, possibly unlabeled)', ['<name>'], ({ project }, name) =>
        withProject(project, (store) => {
          const result = store.deleteLabel(name);
          return (
            `Deleted "${name}": ${plural(result.annotationsRemoved, 'annotation')} removed, ` +
            `${plural(result.documentsLeftUnlabeled, 'document')} left without a label.\n${formatLabels(result.labels)}`
          );
        }),
      ),
    )
    .addCommand(
      verb('describe', 'set the description of a label', ['<name>', '<description>'], ({ project }, name, description) =>
        withProject(project, (store) => formatLabels(store.describeLabel(name, description))),
      ),
    )
    .addCommand(
      verb('undo', 'undo the newest rename, merge or delete (run again for the one before)', [], ({ project }) =>
        withProject(project, (store) => {
          const { undone, labels } = store.undoLabelChange();
          const next = store.lastLabelChange();
          return `Undid: ${undone.summary}.${next ? ` Next to undo: ${next.summary}.` : ''}\n${formatLabels(labels)}`;
        }),
      ),
    );
}
