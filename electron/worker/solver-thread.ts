// A solver thread of the linear head (electron/backend/training/solver-threads.ts): it waits on the shared control
// block, and for each generation prepares a new problem (its stripe of rows, read synchronously from its port) or
// evaluates its stripe's part of the objective at the shared parameters into its own shared gradient buffer.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { objectivePart, parameterCount, type LinearProblem } from '../backend/training/linear-solver.js';
import { COMMAND, COMMANDS, DONE, GENERATION, type ThreadInit, type ThreadProblem } from '../backend/training/solver-threads.js';

const init = workerData as ThreadInit;
const control = new Int32Array(init.control);
const x = new Float64Array(init.x);
const grad = new Float64Array(init.grad);
const loss = new Float64Array(init.loss);
const features = {
  n: init.n,
  dense: new Float32Array(init.dense),
  lexical: init.lexical
    ? { rowPtr: new Int32Array(init.lexical.rowPtr), cols: new Int32Array(init.lexical.cols), values: new Float32Array(init.lexical.values), nCols: init.lexical.nCols }
    : undefined,
};
const truth: number[][] = Array.from({ length: init.truthPtr.length - 1 }, (_, i) => Array.from(init.truthClasses.subarray(init.truthPtr[i], init.truthPtr[i + 1])));

let evaluate: ((x: Float64Array, grad: Float64Array) => number) | null = null;
let size = 0;
let seen = 0;

function nextProblem(): ThreadProblem {
  // The owner posts the problem before it signals: the message is already queued, or about to be.
  for (;;) {
    const received = receiveMessageOnPort(init.port);
    if (received) return received.message as ThreadProblem;
    Atomics.wait(control, GENERATION, seen, 1);
  }
}

// Ready: the owner waits for this before it relies on the thread.
init.port.postMessage('ready');

for (;;) {
  Atomics.wait(control, GENERATION, seen);
  const generation = Atomics.load(control, GENERATION);
  if (generation === seen) continue;
  seen = generation;
  const command = Atomics.load(control, COMMAND);
  if (command === COMMANDS.exit) break;
  try {
    if (command === COMMANDS.prepare) {
      const p = nextProblem();
      const problem: LinearProblem = { task: p.task, features, classes: p.arch.classes, truth, rows: p.rows, counts: p.counts, loss: p.loss, c: p.c };
      evaluate = objectivePart(problem, p.arch, { normaliser: p.normaliser, lambda: p.lambda }, p.from, p.to);
      size = parameterCount(p.arch, p.task);
    } else if (command === COMMANDS.evaluate && evaluate) {
      loss[0] = evaluate(x.subarray(0, size), grad.subarray(0, size));
    }
    Atomics.store(control, DONE + init.index, generation);
  } catch (error) {
    process.stderr.write(`solver thread ${init.index}: ${(error as Error).stack ?? String(error)}\n`);
    Atomics.store(control, DONE + init.index, -generation);
  }
  Atomics.notify(control, DONE + init.index);
}
