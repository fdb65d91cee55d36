// `finetune train`: trains on a project (recording the run there) or straight from files, in the worker process,
// and writes metrics.json, predictions.csv, report.md, report.html and model/ to --out.
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TrainProgress } from '../../../shared/domain.js';
import { writeRunArtifacts } from '../training/artifacts.js';
import type { TrainJob, TrainResult } from '../training/job.js';
import { recordRun } from '../training/project-runs.js';
import { CHECKPOINT_DIR } from '../training/transformer/resume.js';
import { startTraining } from '../training/worker-client.js';
import { displayPath, EXIT, interruptSignal, parseFraction, statusLine, UsageError, withProject } from './common.js';
import { checkDataOptions, fileTrainingJob, projectTrainingJob, settingsFrom, withFineTuneOptions, withFineTuneSettings, withTrainingDataOptions, type FineTuneCliOptions, type TrainingDataOptions } from './training-data.js';
import { isCancelled } from '../cancel.js';
import { runTokenTrain } from './tokens.js';
import { verdictOf } from '../../../shared/verdict.js';
import { fineTuneSentence } from '../../../shared/fine-tune-words.js';

interface TrainCliOptions extends TrainingDataOptions, FineTuneCliOptions {
  out: string;
  task?: 'text' | 'token';
  resume?: boolean;
}

export function trainCommand(): Command {
  return withFineTuneOptions(withTrainingDataOptions(new Command('train').description('train a classifier on a project (--project) or on files (--data, optional --test)')))
    .requiredOption('--out <dir>', 'output folder for metrics.json, predictions.csv, report.md, report.html and model/')
    .option('--resume', 'with --depth top-k or full: go on from the last finished epoch kept in --out after a cancel or crash (the same data and options)')
    .addOption(new Option('--task <kind>', "'text': a label per document (the default); 'token': a tag per word (CoNLL or JSONL spans in --data)").choices(['text', 'token']).default('text'))
    .action(async (opts: TrainCliOptions) => {
      process.exitCode = await runTrain(opts);
    });
}

async function runTrain(opts: TrainCliOptions): Promise<number> {
  if (opts.task === 'token') {
    if (!opts.data) throw new UsageError('--task token trains from a file: give --data F.conll (or .jsonl with spans) and optionally --test T.conll.');
    const encoder = opts.encoder.startsWith('hf:') ? opts.encoder.slice(3) : undefined;
    if (!encoder && opts.encoder !== 'use-lite') throw new UsageError(`--encoder ${opts.encoder}: use 'use-lite' or 'hf:<folder>'.`);
    if (!encoder && !opts.lexical) throw new UsageError('--no-lexical with --task token needs --encoder hf:<folder>: the tagger then reads that model\'s token states alone.');
    return runTokenTrain({ data: opts.data, test: opts.test, out: opts.out, testFraction: parseFraction(opts.testFraction, '--test-fraction'), seed: Number(opts.seed), encoder, lexical: opts.lexical });
  }
  const settings = withFineTuneSettings(settingsFrom(opts), opts);
  checkDataOptions(opts, settings);
  if (opts.resume && (!settings.depth || settings.depth === 'contrastive')) throw new UsageError('--resume goes with --depth top-k or full (the runs that train for epochs).');
  const out = resolve(opts.out);
  const modelDir = join(out, 'model');
  if (opts.project) {
    return withProject(opts.project, async (store) => {
      const job = projectTrainingJob(store, opts, settings);
      const runId = store.createRun(settings);
      const outcome = await trainInWorker({ ...job, modelDir, resume: opts.resume }, out);
      recordRun(store, runId, outcome.status === 'completed' ? { status: 'completed', result: outcome.result } : { status: outcome.status, error: outcome.error });
      if (outcome.status === 'completed') process.stdout.write(`Recorded as run ${runId} in ${displayPath(store.file)}.\n`);
      return outcome.exitCode;
    });
  }
  const outcome = await trainInWorker({ ...(await fileTrainingJob(opts, settings)), modelDir, resume: opts.resume }, out);
  return outcome.exitCode;
}

type TrainOutcome =
  | { status: 'completed'; result: TrainResult; exitCode: number }
  | { status: 'failed' | 'cancelled'; error: string; exitCode: number };

async function trainInWorker(job: TrainJob, out: string): Promise<TrainOutcome> {
  const status = statusLine();
  const interrupt = interruptSignal();
  const training = startTraining(job, { onProgress: (p) => status.show(describeProgress(p)) });
  interrupt.signal.addEventListener('abort', () => training.cancel());
  try {
    const result = await training.done;
    status.end();
    await writeRunArtifacts(out, result.metrics, result.predictions);
    process.stdout.write(summary(result, out));
    return { status: 'completed', result, exitCode: EXIT.ok };
  } catch (error) {
    status.end();
    const message = error instanceof Error ? error.message : String(error);
    const kept = existsSync(join(job.modelDir, CHECKPOINT_DIR, 'state.json'))
      ? `The last finished epoch is kept in ${displayPath(join(job.modelDir, CHECKPOINT_DIR))}: run the same command with --resume to go on from there.\n`
      : '';
    if (isCancelled(error)) {
      process.stderr.write(`Training cancelled.\n${kept}`);
      return { status: 'cancelled', error: 'cancelled by the user', exitCode: EXIT.interrupted };
    }
    process.stderr.write(`finetune: training failed: ${message}\n${kept}`);
    return { status: 'failed', error: message, exitCode: EXIT.failed };
  } finally {
    interrupt.dispose();
  }
}

export function describeProgress(p: TrainProgress): string {
  const parts = [p.total > 0 ? `${p.phase}: ${p.done}/${p.total}` : p.phase];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.valMacroF1 !== undefined) parts.push(`val macro-F1 ${p.valMacroF1.toFixed(3)}`);
  if (p.etaSeconds !== null) parts.push(`about ${Math.ceil(p.etaSeconds)} s left`);
  if (p.message) parts.push(p.message);
  return parts.join(', ');
}

function summary(result: TrainResult, out: string): string {
  const m = result.metrics;
  const perClass = m.labels.map((label) => {
    const c = m.per_class[label];
    return `  ${label.padEnd(20)} F1 ${c.f1.toFixed(3)}  P ${c.precision.toFixed(3)}  R ${c.recall.toFixed(3)}  support ${c.support}${c.smallSupport ? '  (too few to trust)' : ''}`;
  });
  const interval = m.f1_macro_interval ? ` (95% interval ${m.f1_macro_interval[0].toFixed(3)}–${m.f1_macro_interval[1].toFixed(3)})` : '';
  const search = m.selection?.search;
  return [
    verdictOf(m, m.train_counts).sentence,
    `Macro-F1 ${m.f1_macro.toFixed(3)}${interval} on ${m.n_test} test documents (accuracy ${m.accuracy.toFixed(3)}, which overstates quality when one class dominates).`,
    ...perClass,
    search ? `Strategy: ${search.pick.name} — ${search.pick.reason}` : `Strategy: ${m.strategy.name}; ${m.selection?.reason ?? ''}`,
    ...(search && m.selection?.fineTune ? [fineTuneSentence(m.selection.fineTune)] : []),
    `Backend ${m.strategy.backend}.`,
    ...(m.review ? [`Review: ${m.review.toReview} of ${m.n_test} test documents go to a person; the automatic rest scores macro-F1 ${m.review.automatic.f1_macro.toFixed(3)}.`] : []),
    `Wrote ${displayPath(join(out, 'metrics.json'))}, predictions.csv, report.md, report.html (prints to PDF) and model/.`,
    '',
  ].join('\n');
}
