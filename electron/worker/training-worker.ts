// The training process. One entry file for both hosts: an Electron utilityProcess (messages through
// process.parentPort) and a Node child process started with fork (process.send / 'message').
// It embeds, trains and evaluates what the job holds; it never opens the project file, only the embedding cache
// named in the job.
import { loadPredictor } from '../backend/training/predictor.js';
import { trainClassifier } from '../backend/training/trainer.js';
import type { FromWorker, ToWorker } from '../backend/training/worker-protocol.js';

interface ParentChannel {
  send(message: FromWorker): void;
  onMessage(listener: (message: ToWorker) => void): void;
}

/** Electron adds parentPort to `process` inside a utilityProcess; Node's fork gives process.send instead. */
interface UtilityParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function connectToParent(): ParentChannel {
  const parentPort = (process as unknown as { parentPort?: UtilityParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as ToWorker)),
    };
  }
  const send = process.send?.bind(process);
  if (send) {
    // The owner went away: nothing would read our results, so stop rather than linger as an orphan.
    process.on('disconnect', () => process.exit(0));
    return {
      send: (message) => void send(message),
      onMessage: (listener) => process.on('message', (message) => listener(message as ToWorker)),
    };
  }
  throw new Error('training-worker: start it as an Electron utilityProcess or with child_process.fork, not directly.');
}

const parent = connectToParent();
let running: AbortController | null = null;

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

async function runExclusive(work: (signal: AbortSignal) => Promise<FromWorker>): Promise<void> {
  if (running) {
    parent.send({ type: 'error', message: 'The training process is already busy with another job.' });
    return;
  }
  const controller = new AbortController();
  running = controller;
  try {
    parent.send(await work(controller.signal));
  } catch (error) {
    if (controller.signal.aborted || isAbort(error)) parent.send({ type: 'cancelled' });
    else {
      const err = error instanceof Error ? error : new Error(String(error));
      parent.send({ type: 'error', message: err.message, stack: err.stack });
    }
  } finally {
    running = null;
  }
}

parent.onMessage((message) => {
  switch (message.type) {
    case 'train':
      void runExclusive(async (signal) => {
        const result = await trainClassifier(message.job, (progress) => parent.send({ type: 'progress', progress }), signal);
        return { type: 'result', result };
      });
      break;
    case 'predict':
      void runExclusive(async (signal) => {
        const predictor = await loadPredictor(message.modelDir);
        try {
          const rows = await predictor.predict(message.texts, undefined, signal);
          return { type: 'predictions', requestId: message.requestId, rows };
        } finally {
          predictor.dispose();
        }
      });
      break;
    case 'cancel':
      running?.abort();
      break;
  }
});
