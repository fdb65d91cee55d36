// The linear head's objective over several CPU cores. The features live in SharedArrayBuffers that worker threads
// read in place; each evaluation splits the training rows into contiguous stripes of similar cost, the calling
// thread computes the first stripe while the others compute theirs, and the parts add up. Threads are woken and
// awaited through Atomics on a shared control block, so an evaluation costs no message passing (a fit makes
// hundreds). Measured on the SpamAssassin features: see bench/train.ts.
import os from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { TaskKind } from '../../../shared/domain.js';
import { threadEntry } from '../thread-entry.js';
import type { FeatureSet, HeadArchitecture } from './heads.js';
import { addPenalty, objectiveConstants, objectivePart, parameterCount, type LinearProblem, type ObjectiveEvaluator } from './linear-solver.js';
import type { LossSpec } from './losses.js';

/** Control block: [generation, command, done of thread 1, done of thread 2, ...]. */
export const GENERATION = 0;
export const COMMAND = 1;
export const DONE = 2;
export const COMMANDS = { evaluate: 1, prepare: 2, exit: 3 } as const;
/** An evaluation that takes this long means a thread is gone: fail instead of hanging the run. */
const WAIT_LIMIT_MS = 10 * 60_000;
/** Threads used at most (a laptop's performance cores; more adds little for this memory-bound loop). */
const MAX_THREADS = 4;
/** A thread that has not started by then is not used (the objective runs in fewer threads). */
const START_LIMIT_MS = 30_000;

/** What a thread is started with: shared views of the features and its buffers. */
export interface ThreadInit {
  index: number;
  dense: SharedArrayBuffer;
  n: number;
  lexical: { rowPtr: SharedArrayBuffer; cols: SharedArrayBuffer; values: SharedArrayBuffer; nCols: number } | null;
  truthPtr: Int32Array;
  truthClasses: Int32Array;
  control: SharedArrayBuffer;
  x: SharedArrayBuffer;
  grad: SharedArrayBuffer;
  loss: SharedArrayBuffer;
  port: MessagePort;
}

/** A problem for a thread: its stripe of rows and everything the objective part needs. */
export interface ThreadProblem {
  task: TaskKind;
  arch: HeadArchitecture;
  rows: Int32Array;
  counts: Float64Array;
  loss: LossSpec;
  c: number;
  normaliser: number;
  lambda: number;
  from: number;
  to: number;
}

function shared<T extends Float32Array | Float64Array | Int32Array>(source: T): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(source.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
  return buffer;
}

/** Splits rows into `parts` contiguous ranges of similar cost (dense width plus the row's sparse entries). */
function stripes(rows: Int32Array, features: FeatureSet, dim: number, parts: number): number[] {
  const cost = (row: number) => dim + (features.lexical ? features.lexical.rowPtr[row + 1] - features.lexical.rowPtr[row] : 0);
  let total = 0;
  for (let r = 0; r < rows.length; r++) total += cost(rows[r]);
  const bounds = [0];
  let running = 0;
  for (let r = 0; r < rows.length && bounds.length < parts; r++) {
    running += cost(rows[r]);
    if (running >= (total * bounds.length) / parts) bounds.push(r + 1);
  }
  while (bounds.length < parts) bounds.push(rows.length);
  bounds.push(rows.length);
  return bounds;
}

export class SolverThreads {
  private readonly control: Int32Array;
  private readonly x: Float64Array;
  private readonly grads: Float64Array[];
  private readonly losses: Float64Array[];
  private closed = false;

  private constructor(
    private readonly workers: Worker[],
    private readonly ports: MessagePort[],
    buffers: { control: SharedArrayBuffer; x: SharedArrayBuffer; grads: SharedArrayBuffer[]; losses: SharedArrayBuffer[] },
    private readonly features: FeatureSet,
    private readonly dim: number,
  ) {
    this.control = new Int32Array(buffers.control);
    this.x = new Float64Array(buffers.x);
    this.grads = buffers.grads.map((b) => new Float64Array(b));
    this.losses = buffers.losses.map((b) => new Float64Array(b));
  }

  /**
   * Threads besides the caller's: one per further core, up to MAX_THREADS in all. Null on a single core, or when no
   * thread could start (the caller then evaluates alone).
   */
  static async start(features: FeatureSet, truth: number[][], dim: number, maxParameters: number, threads = Math.min(MAX_THREADS, os.availableParallelism())): Promise<SolverThreads | null> {
    const helpers = threads - 1;
    if (helpers < 1) return null;
    const dense = shared(features.dense);
    const lexical = features.lexical
      ? { rowPtr: shared(features.lexical.rowPtr), cols: shared(features.lexical.cols), values: shared(features.lexical.values), nCols: features.lexical.nCols }
      : null;
    const truthPtr = new Int32Array(truth.length + 1);
    truth.forEach((t, i) => (truthPtr[i + 1] = truthPtr[i] + t.length));
    const truthClasses = Int32Array.from(truth.flat());
    const control = new SharedArrayBuffer(4 * (DONE + helpers));
    const x = new SharedArrayBuffer(8 * maxParameters);
    const grads = Array.from({ length: helpers }, () => new SharedArrayBuffer(8 * maxParameters));
    const losses = Array.from({ length: helpers }, () => new SharedArrayBuffer(8));
    let entry: URL;
    try {
      entry = threadEntry('solver-thread');
    } catch {
      return null;
    }
    const started = await Promise.all(
      Array.from({ length: helpers }, (_, index) => {
        const channel = new MessageChannel();
        const init: ThreadInit = { index, dense, n: features.n, lexical, truthPtr, truthClasses, control, x, grad: grads[index], loss: losses[index], port: channel.port2 };
        const worker = new Worker(entry, { workerData: init, transferList: [channel.port2] });
        worker.unref();
        return new Promise<{ worker: Worker; port: MessagePort } | null>((resolve) => {
          const timer = setTimeout(() => resolve(null), START_LIMIT_MS);
          worker.once('error', () => resolve(null));
          channel.port1.once('message', () => {
            clearTimeout(timer);
            resolve({ worker, port: channel.port1 });
          });
        }).then((ready) => {
          if (!ready) void worker.terminate();
          return ready;
        });
      }),
    );
    if (started.some((s) => s === null)) {
      for (const s of started) if (s) void s.worker.terminate();
      return null;
    }
    const ready = started as Array<{ worker: Worker; port: MessagePort }>;
    return new SolverThreads(ready.map((r) => r.worker), ready.map((r) => r.port), { control, x, grads, losses }, features, dim);
  }

  private signal(command: number): number {
    Atomics.store(this.control, COMMAND, command);
    const generation = Atomics.add(this.control, GENERATION, 1) + 1;
    Atomics.notify(this.control, GENERATION);
    return generation;
  }

  private awaitThreads(generation: number): void {
    for (let w = 0; w < this.workers.length; w++) {
      for (;;) {
        const seen = Atomics.load(this.control, DONE + w);
        if (seen === generation) break;
        if (seen === -generation) throw new Error('the linear head: a solver thread failed (see its error above)');
        if (Atomics.wait(this.control, DONE + w, seen, WAIT_LIMIT_MS) === 'timed-out') throw new Error('the linear head: a solver thread stopped answering');
      }
    }
  }

  /** The objective of the problem across the threads (fitLinearHead's `objective` option). */
  readonly objective = (problem: LinearProblem, arch: HeadArchitecture): { size: number; evaluate: ObjectiveEvaluator } => {
    if (this.closed) throw new Error('the linear head: solver threads already closed');
    if (problem.features !== this.features) throw new Error('the linear head: the solver threads hold other features');
    const constants = objectiveConstants(problem, arch);
    const size = parameterCount(arch, problem.task);
    if (size > this.x.length) throw new Error(`the linear head: ${size} parameters, the threads were sized for ${this.x.length}`);
    const bounds = stripes(problem.rows, problem.features, this.dim, this.workers.length + 1);
    this.ports.forEach((port, w) => {
      const message: ThreadProblem = {
        task: problem.task,
        arch,
        rows: problem.rows,
        counts: problem.counts,
        loss: problem.loss,
        c: problem.c,
        ...constants,
        from: bounds[w + 1],
        to: bounds[w + 2],
      };
      port.postMessage(message);
    });
    this.awaitThreads(this.signal(COMMANDS.prepare));
    const own = objectivePart(problem, arch, constants, bounds[0], bounds[1]);
    const sharedX = this.x.subarray(0, size);
    return {
      size,
      evaluate: (x, grad) => {
        sharedX.set(x);
        const generation = this.signal(COMMANDS.evaluate);
        let value = own(x, grad);
        this.awaitThreads(generation);
        for (let w = 0; w < this.workers.length; w++) {
          const part = this.grads[w];
          for (let i = 0; i < size; i++) grad[i] += part[i];
          value += this.losses[w][0];
        }
        return value + addPenalty(x, grad, arch, problem.task, constants);
      },
    };
  };

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal(COMMANDS.exit);
    for (const port of this.ports) port.close();
    for (const worker of this.workers) void worker.terminate();
  }
}
