// The owner's side of the training worker: spawn it, send one job, stream its progress, cancel it, and turn a
// crash into a clear error. Electron's main process passes a utilityProcess spawner; Node uses child_process.fork.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FineTuneEstimate, PredictionRow, StrategySearchReport, TrainProgress } from '../../../shared/domain.js';
import type { TrainExample, TrainJob, TrainResult } from './job.js';
import type { ExportOutcome, FromWorker, LabelIssuesReport, ToWorker } from './worker-protocol.js';
import type { TaggedSentence, TaggerModel } from './tagger/tagger.js';
import { pairContentHash } from './pairs.js';
import { cancelledError } from '../cancel.js';

export interface WorkerPort {
  /** OS process id, when the platform reports one. */
  readonly pid: number | undefined;
  postMessage(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** lastError: the last error line the process printed, when the platform lets us read it. */
  onExit(listener: (code: number | null, signal: string | null, lastError?: string) => void): void;
  kill(): void;
}

export type WorkerSpawner = () => WorkerPort;

/** How long a cancelled worker may take to stop by itself before it is killed. */
const CANCEL_GRACE_MS = 3000;

export class WorkerCrashError extends Error {
  override name = 'WorkerCrashError';
}

/**
 * The worker entry next to this code: from sources (run through tsx) the .ts file, loaded with the tsx loader;
 * from a bundle in dist/electron/<bundle>/ the bundled dist/electron/worker/model-worker.js.
 */
export function workerEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    return {
      file: resolve(dirname(here), '../../worker/model-worker.ts'),
      execArgv: ['--import', import.meta.resolve('tsx')],
    };
  }
  const file = resolve(dirname(here), '../worker/model-worker.js');
  if (!existsSync(file)) throw new Error(`${file}: the bundled training worker is missing; run \`npm run build\`.`);
  return { file, execArgv: [] };
}

const STDERR_TAIL_CHARS = 4000;

/** Passes a stream through to `sink` and keeps its last few thousand characters for the crash message. */
export function keepTail(stream: NodeJS.ReadableStream, sink: NodeJS.WritableStream): () => string {
  let tail = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    sink.write(chunk);
    tail = (tail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  return () => tail;
}

/** The last line that names an error ("Error [ERR_MODULE_NOT_FOUND]: ...", "FATAL ERROR: ... heap out of memory"). */
export function lastErrorLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .findLast((line) => /^(\w*(Error|Exception)\b|FATAL ERROR:)/.test(line));
}

export function nodeWorkerSpawner(entry = workerEntry()): WorkerSpawner {
  return () => {
    const child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced', // structured clone, so typed arrays and nested data cross intact
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const stderr = keepTail(child.stderr!, process.stderr);
    // A send racing the child's exit reports ERR_IPC_CHANNEL_CLOSED here; the exit listener tells the story.
    child.on('error', () => undefined);
    return {
      pid: child.pid,
      postMessage: (message) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => child.on('message', (message) => listener(message as FromWorker)),
      onExit: (listener) => child.on('exit', (code, signal) => listener(code, signal, lastErrorLine(stderr()))),
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill();
      },
    };
  };
}

function describeExit(code: number | null, signal: string | null, lastError?: string): string {
  const how = signal ? `signal ${signal}` : `exit code ${code}`;
  // After a signal only V8's own fatal error (e.g. out of memory, which aborts) explains it; other lines are old news.
  const explains = lastError !== undefined && (!signal || lastError.startsWith('FATAL ERROR:'));
  const why = explains ? `: ${lastError}` : '';
  return `the training process stopped unexpectedly (${how})${why}`;
}

export interface WorkerJob<T> {
  done: Promise<T>;
  cancel(): void;
  /** The worker's OS process id (shown to the user, useful to end a stuck process by hand). */
  pid: number | undefined;
}

/** Sends one request to a fresh worker and settles on the first final message, the worker's exit, or cancel. */
function runInWorker<T>(
  request: ToWorker,
  spawner: WorkerSpawner,
  accept: (message: FromWorker) => T | undefined,
  onProgress?: (progress: TrainProgress) => void,
): WorkerJob<T> {
  const port = spawner();
  let settled = false;
  let cancelRequested = false;
  let killTimer: NodeJS.Timeout | undefined;
  const done = new Promise<T>((resolvePromise, rejectPromise) => {
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      port.kill();
      outcome();
    };
    port.onMessage((message) => {
      if (message.type === 'progress') {
        if (!settled) onProgress?.(message.progress);
        return;
      }
      if (message.type === 'cancelled') return settle(() => rejectPromise(cancelledError()));
      if (message.type === 'error') {
        const error = workerError(message);
        if (message.stack) error.stack = message.stack;
        return settle(() => rejectPromise(error));
      }
      const value = accept(message);
      if (value !== undefined) settle(() => resolvePromise(value));
    });
    port.onExit((code, signal, lastError) =>
      settle(() => rejectPromise(cancelRequested ? cancelledError() : new WorkerCrashError(describeExit(code, signal, lastError)))),
    );
  });
  port.postMessage(request);
  return {
    done,
    get pid() {
      return port.pid; // a utilityProcess learns its pid only once it has spawned
    },
    cancel: () => {
      if (settled || cancelRequested) return;
      cancelRequested = true;
      port.postMessage({ type: 'cancel' });
      killTimer = setTimeout(() => port.kill(), CANCEL_GRACE_MS);
    },
  };
}

/** A project's labeled documents (ProjectStore.trainingExamples()) as the worker's training examples. */
export function trainExamplesFromProject(
  rows: { documentId: number; text: string; contentHash: string; labels: string[]; source: string; parents?: number[]; pair?: string }[],
): TrainExample[] {
  return rows.map((row) => ({
    id: row.documentId,
    text: row.text,
    // A pair and its swap are one item (pairs.ts), so a pair's identity is of both its texts.
    contentHash: row.pair !== undefined ? pairContentHash(row.text, row.pair) : row.contentHash,
    labels: row.labels,
    synthetic: row.source === 'synthetic',
    parents: row.parents,
    ...(row.pair !== undefined ? { pair: row.pair } : {}),
  }));
}

/** An error the worker reported, with the kind (name) it had there. */
function workerError(message: { message: string; name?: string }): Error {
  const error = new Error(message.message);
  if (message.name) error.name = message.name;
  return error;
}

type JobOptions = { spawner?: WorkerSpawner; onProgress: (progress: TrainProgress) => void };

/** A training run in a fresh worker. */
export const startTraining = (job: TrainJob, opts: JobOptions): WorkerJob<TrainResult> =>
  runInWorker({ type: 'train', job }, opts.spawner ?? nodeWorkerSpawner(), (m) => (m.type === 'result' ? m.result : undefined), opts.onProgress);

/** The strategy search alone in a fresh worker (cancel and crashes as for training). */
export const startSearch = (job: TrainJob, opts: JobOptions): WorkerJob<StrategySearchReport> =>
  runInWorker({ type: 'search', job }, opts.spawner ?? nodeWorkerSpawner(), (m) => (m.type === 'searched' ? m.report : undefined), opts.onProgress);

/** A token tagger trained in a fresh worker; its progress arrives as training progress ('train' phase). */
export const startTagger = (sentences: TaggedSentence[], seed: number, opts: JobOptions & { encoder?: string; lexical?: boolean }): WorkerJob<TaggerModel> =>
  runInWorker({ type: 'tagger', sentences, seed, encoder: opts.encoder, lexical: opts.lexical }, opts.spawner ?? nodeWorkerSpawner(), (m) => (m.type === 'tagger' ? m.model : undefined), opts.onProgress);

/** Fine-tuning steps timed on the job's documents, in a fresh worker. */
export const startEstimate = (job: TrainJob, opts: JobOptions): WorkerJob<FineTuneEstimate> =>
  runInWorker({ type: 'estimate', job }, opts.spawner ?? nodeWorkerSpawner(), (m) => (m.type === 'estimated' ? m.estimate : undefined), opts.onProgress);

/** Label-error detection over the job's labeled documents in a fresh worker. */
export const startLabelIssues = (job: TrainJob, opts: JobOptions): WorkerJob<LabelIssuesReport> =>
  runInWorker({ type: 'labelIssues', job }, opts.spawner ?? nodeWorkerSpawner(), (m) => (m.type === 'labelIssues' ? m.report : undefined), opts.onProgress);

/** How long an unused prediction worker stays loaded before it is stopped to free its memory. */
const PREDICTION_IDLE_MS = 5 * 60_000;

/**
 * Predictions in a long-lived worker that keeps the last model loaded, so pasting text into the Use step answers
 * in well under a second after the first call. A crashed worker fails its pending requests and is respawned on the
 * next one.
 */
export class PredictionWorker {
  private port: WorkerPort | null = null;
  private readonly pending = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void; onProgress?: (message: string) => void }>();
  private nextRequestId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly spawner: WorkerSpawner = nodeWorkerSpawner()) {}

  /** `pairs`: a pair model's second texts, one per text. */
  predict(modelDir: string, texts: string[], pairs?: string[]): Promise<PredictionRow[]> {
    return this.request<PredictionRow[]>((requestId) => ({ type: 'predict', requestId, modelDir, texts, ...(pairs ? { pairs } : {}) }));
  }

  /** An ONNX export of modelDir, compared with the app on checkTexts; progress messages arrive as it goes. */
  exportOnnx(job: Omit<Extract<ToWorker, { type: 'export' }>, 'type' | 'requestId'>, onProgress: (message: string) => void): Promise<ExportOutcome> {
    return this.request<ExportOutcome>((requestId) => ({ type: 'export', requestId, ...job }), onProgress);
  }

  private request<T>(message: (requestId: number) => ToWorker, onProgress?: (message: string) => void): Promise<T> {
    clearTimeout(this.idleTimer);
    const port = (this.port ??= this.spawn());
    const requestId = this.nextRequestId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(requestId, { resolve: resolve as (value: never) => void, reject, onProgress });
      port.postMessage(message(requestId));
    }).finally(() => {
      if (this.pending.size === 0) this.idleTimer = setTimeout(() => this.close(), PREDICTION_IDLE_MS).unref();
    });
  }

  close(): void {
    clearTimeout(this.idleTimer);
    const port = this.port;
    this.port = null;
    port?.kill();
  }

  private settle(requestId: number | undefined, outcome: { value: unknown } | { error: Error }): void {
    const waiter = requestId === undefined ? undefined : this.pending.get(requestId);
    if (!waiter) return;
    this.pending.delete(requestId!);
    if ('value' in outcome) waiter.resolve(outcome.value as never);
    else waiter.reject(outcome.error);
  }

  private spawn(): WorkerPort {
    const port = this.spawner();
    port.onMessage((message) => {
      if (message.type === 'predictions') this.settle(message.requestId, { value: message.rows });
      else if (message.type === 'exported') this.settle(message.requestId, { value: message.outcome });
      else if (message.type === 'exportProgress') this.pending.get(message.requestId)?.onProgress?.(message.message);
      else if (message.type === 'error') this.settle(message.requestId, { error: workerError(message) });
    });
    port.onExit((code, signal, lastError) => {
      if (this.port === port) this.port = null;
      const error = new WorkerCrashError(describeExit(code, signal, lastError).replace('training process', 'prediction process'));
      for (const requestId of [...this.pending.keys()]) this.settle(requestId, { error });
    });
    return port;
  }
}
