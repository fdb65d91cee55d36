// What `finetune strategies` and `finetune label-issues` share: read the labeled documents (a project, read-only,
// or files), run one analysis in a fresh model worker with progress on stderr and Ctrl+C to cancel, print the
// result. Neither writes a model; the worker's job still names a folder, a throwaway one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainProgress, TrainSettings } from '../../../shared/domain.js';
import { isCancelled } from '../cancel.js';
import type { TrainJob } from '../training/job.js';
import type { WorkerJob } from '../training/worker-client.js';
import { EXIT, interruptSignal, statusLine, withProject } from './common.js';
import { describeProgress } from './train.js';
import { checkDataOptions, fileTrainingJob, projectTrainingJob, type TrainingDataOptions } from './training-data.js';

export async function runAnalysis<T>(
  opts: TrainingDataOptions,
  settings: TrainSettings,
  what: string,
  start: (job: TrainJob, onProgress: (progress: TrainProgress) => void) => WorkerJob<T>,
  print: (result: T, job: TrainJob) => string,
): Promise<number> {
  checkDataOptions(opts, settings);
  const scratch = mkdtempSync(join(tmpdir(), 'finetune-analysis-'));
  try {
    const job = opts.project ? await withProject(opts.project, (store) => projectTrainingJob(store, opts, settings), { reading: true }) : await fileTrainingJob(opts, settings);
    const full = { ...job, modelDir: join(scratch, 'model') };
    const status = statusLine();
    const interrupt = interruptSignal();
    const running = start(full, (p) => status.show(describeProgress(p)));
    interrupt.signal.addEventListener('abort', () => running.cancel());
    try {
      const result = await running.done;
      status.end();
      process.stdout.write(print(result, full));
      return EXIT.ok;
    } catch (error) {
      status.end();
      if (isCancelled(error)) {
        process.stderr.write(`${what} cancelled.\n`);
        return EXIT.interrupted;
      }
      throw error;
    } finally {
      interrupt.dispose();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
