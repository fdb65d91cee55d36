// `finetune export-job` and `finetune import-run`: the same training job run on a GPU machine with PyTorch +
// Transformers + Accelerate (resources/job/train.py), and its output brought back as a run of the project.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_JOB_MODEL, exportJob } from '../app/job-export.js';
import { importRun, RunImportError } from '../app/run-import.js';
import { displayPath, EXIT, projectOption, UsageError, withProject } from './common.js';
import { checkDataOptions, fileTrainingJob, projectTrainingJob, settingsFrom, withFineTuneOptions, withFineTuneSettings, withTrainingDataOptions, type FineTuneCliOptions, type TrainingDataOptions } from './training-data.js';

interface ExportJobOptions extends TrainingDataOptions, FineTuneCliOptions {
  out: string;
  baseModel: string;
}

export function exportJobCommand(): Command {
  return withFineTuneOptions(withTrainingDataOptions(new Command('export-job').description('write the training job for a GPU machine: data with its split, job.json, train.py (PyTorch + Transformers + Accelerate), requirements and launch commands')))
    .requiredOption('--out <dir>', 'the job folder to write')
    .option('--base-model <id|folder>', 'the Hugging Face model train.py fine-tunes (a hub id, or a folder on the GPU machine)', DEFAULT_JOB_MODEL)
    .action(async function (this: Command, opts: ExportJobOptions) {
      // A GPU job fine-tunes the whole model unless --depth says otherwise (head: only the classifier learns).
      const depth = this.getOptionValueSource('depth') === 'default' ? 'full' : opts.depth;
      if (depth === 'contrastive') throw new UsageError('--depth contrastive is not part of a GPU job; use head, top-k or full.');
      const settings = { ...withFineTuneSettings(settingsFrom(opts), { ...opts, depth }), depth };
      checkDataOptions(opts, settings);
      const job = opts.project
        ? await withProject(opts.project, (store) => projectTrainingJob(store, opts, settings), { reading: true })
        : await fileTrainingJob(opts, settings);
      const { files, settings: written } = await exportJob({ ...job, modelDir: '' }, opts.out, opts.baseModel);
      process.stdout.write(`Wrote ${displayPath(opts.out)}: ${files.join(', ')} (${written.split.train} train, ${written.split.val} validation, ${written.split.test} test documents; model ${written.model}, loss ${written.loss}, sampling ${written.sampling}).\n` +
        `Run it with: accelerate launch train.py --job job.json --output output (see ${displayPath(join(opts.out, 'README.md'))}).\n`);
      process.exitCode = EXIT.ok;
    });
}

export function importRunCommand(): Command {
  return new Command('import-run')
    .description('record the output of a job run elsewhere (train.py) as a run of the project')
    .argument('<output>', 'the --output folder of train.py (metrics.json, predictions.csv, export/)')
    .addOption(projectOption())
    .option('--job <file>', 'the job.json it ran (default: job.json beside the output folder)')
    .action(async (output: string, opts: { project: string; job?: string }) => {
      const jobFile = opts.job ?? join(resolve(output), '..', 'job.json');
      if (!existsSync(jobFile)) throw new UsageError(`${displayPath(jobFile)}: no job.json there; give --job FILE, the job.json of finetune export-job.`);
      const { runId, f1Macro } = await withProject(opts.project, (store) => {
        try {
          return importRun(store, output, jobFile);
        } catch (error) {
          throw error instanceof RunImportError ? new UsageError(error.message) : error;
        }
      });
      process.stdout.write(`Recorded ${displayPath(output)} as run ${runId} of ${displayPath(opts.project)} (macro-F1 ${f1Macro.toFixed(3)}); its ONNX model serves Use and predict.\n`);
      process.exitCode = EXIT.ok;
    });
}
