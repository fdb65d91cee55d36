// `finetune project ...`: project-wide settings.
import { Argument, Command } from 'commander';
import type { ProjectInfo, ProjectTask, TaskKind } from '../../../shared/domain.js';
import { projectOption, withProject } from './common.js';

const describeTask = (task: ProjectTask) => (task === 'multi_label' ? 'multi-label' : task === 'token' ? 'token (marks on words)' : 'single-label');

function formatInfo(info: ProjectInfo): string {
  return `${info.name}: ${describeTask(info.task)}, encoder ${info.encoder}, schema version ${info.schemaVersion}, created ${info.createdAt}\n`;
}

export function projectCommand(): Command {
  return new Command('project')
    .description('show or change project settings')
    .addCommand(
      new Command('info')
        .description('show the project name, task, encoder and schema version')
        .addOption(projectOption())
        .option('--json', 'print as JSON')
        .action(async (opts: { project: string; json?: boolean }) => {
          const info = await withProject(opts.project, (store) => store.info(), { reading: true });
          process.stdout.write(opts.json ? `${JSON.stringify(info, null, 2)}\n` : formatInfo(info));
        }),
    )
    .addCommand(
      new Command('set-task')
        .description('make the project single-label (one label per document) or multi-label')
        .addOption(projectOption())
        .addArgument(new Argument('<task>').choices(['single_label', 'multi_label']))
        .action(async (task: TaskKind, opts: { project: string }) => {
          const { before, after } = await withProject(opts.project, (store) => ({ before: store.info().task, after: store.setTask(task).task }));
          process.stdout.write(before === after ? `The project is already ${describeTask(after)}; nothing changed.\n` : `The project is now ${describeTask(after)}.\n`);
        }),
    );
}
