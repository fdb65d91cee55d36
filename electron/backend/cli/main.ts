// The `finetune` command line. Each command lives in its own module and is registered here with one line.
import { Command } from 'commander';
import { createRequire } from 'node:module';
import { runProgram } from './common.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { inspectCommand } from './inspect.js';
import { labelsCommand } from './labels.js';
import { predictCommand } from './predict.js';
import { projectCommand } from './project.js';
import { reportCommand } from './report.js';
import { exportJobCommand, importRunCommand } from './job.js';
import { strategiesCommand } from './strategies.js';
import { labelIssuesCommand } from './label-issues.js';
import { auditCommand } from './audit.js';
import { suggestCommand } from './suggest.js';
import { syntheticCommand } from './synthetic.js';
import { trainCommand } from './train.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

const program = new Command('finetune')
  .description('Train honest text classifiers on your own documents, offline.')
  .version(version);

program.addCommand(importCommand());
program.addCommand(inspectCommand());
program.addCommand(labelsCommand());
program.addCommand(projectCommand());
program.addCommand(syntheticCommand());
program.addCommand(strategiesCommand());
program.addCommand(labelIssuesCommand());
program.addCommand(suggestCommand());
program.addCommand(trainCommand());
program.addCommand(predictCommand());
program.addCommand(exportCommand());
program.addCommand(reportCommand());
program.addCommand(exportJobCommand());
program.addCommand(importRunCommand());
program.addCommand(auditCommand());

await runProgram(program, process.argv);
