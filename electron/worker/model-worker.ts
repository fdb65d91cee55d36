// The model process: it trains, searches strategies, predicts and exports. One entry file for both hosts: an
// Electron utilityProcess (messages through process.parentPort) and a Node child process started with fork.
// It embeds, trains and evaluates what the job holds; it never opens the project file, only the embedding cache
// named in the job.
import { exportModel } from '../backend/export/index.js';
import { checkParity } from '../backend/export/verify.js';
import { isExportFolder, loadOnnxPredictor } from '../backend/export/onnx-predictor.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadPredictor, type Predictor } from '../backend/training/predictor.js';
import { labelIssuesOf, searchStrategiesOf, trainClassifier } from '../backend/training/trainer.js';
import { trainTagger } from '../backend/training/tagger/tagger.js';
import { withEncoderStates } from '../backend/training/tagger/encoder-states.js';
import { estimateFineTune } from '../backend/training/transformer/estimate.js';
import type { FromWorker, ToWorker } from '../backend/training/worker-protocol.js';
import { isCancelled } from '../backend/cancel.js';

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
  throw new Error('model-worker: start it as an Electron utilityProcess or with child_process.fork, not directly.');
}

const parent = connectToParent();

/** Jobs run one after another; cancel aborts the one running and those still waiting (a cancel can arrive in the
 * same read as its job, before the job has started). */
let queue: Promise<void> = Promise.resolve();
const unfinished = new Set<AbortController>();

/** The last model used for predictions stays loaded: the next request for it skips the encoder load. */
let loaded: { modelDir: string; predictor: Promise<Predictor> } | null = null;

function predictorFor(modelDir: string): Promise<Predictor> {
  if (loaded?.modelDir !== modelDir) {
    const previous = loaded?.predictor;
    // Neither a failed load nor a failed unload of the old model may become an unhandled rejection (it ends the process).
    void previous?.then((p) => p.dispose()).catch(() => undefined);
    // A run imported from a job (import-run) has an ONNX export as its model.
    loaded = { modelDir, predictor: isExportFolder(modelDir) && !existsSync(join(modelDir, 'manifest.json')) ? loadOnnxPredictor(modelDir) : loadPredictor(modelDir) };
    // A model that failed to load is not kept: the next request tries again.
    const attempt = loaded;
    attempt.predictor.catch(() => {
      if (loaded === attempt) loaded = null;
    });
  }
  return loaded.predictor;
}

function enqueue(work: (signal: AbortSignal) => Promise<FromWorker>, requestId?: number): void {
  const controller = new AbortController();
  unfinished.add(controller);
  queue = queue.then(async () => {
    try {
      controller.signal.throwIfAborted();
      parent.send(await work(controller.signal));
    } catch (error) {
      if (controller.signal.aborted || isCancelled(error)) parent.send({ type: 'cancelled' });
      else {
        const err = error instanceof Error ? error : new Error(String(error));
        parent.send({ type: 'error', message: err.message, name: err.name, stack: err.stack, requestId });
      }
    } finally {
      unfinished.delete(controller);
    }
  });
}

parent.onMessage((message) => {
  switch (message.type) {
    case 'train':
      enqueue(async (signal) => {
        const result = await trainClassifier(message.job, (progress) => parent.send({ type: 'progress', progress }), signal);
        return { type: 'result', result };
      });
      break;
    case 'search':
      enqueue(async (signal) => {
        const report = await searchStrategiesOf(message.job, (progress) => parent.send({ type: 'progress', progress }), signal);
        return { type: 'searched', report };
      });
      break;
    case 'labelIssues':
      enqueue(async (signal) => ({ type: 'labelIssues', report: await labelIssuesOf(message.job, (progress) => parent.send({ type: 'progress', progress }), signal) }));
      break;
    case 'tagger':
      enqueue(async (signal) => {
        const send = (phase: 'embed' | 'train', p: { done: number; total: number; etaSeconds?: number | null; phase?: string }) =>
          parent.send({ type: 'progress', progress: { runId: null, phase, done: p.done, total: p.total, etaSeconds: p.etaSeconds ?? null, message: p.phase ?? 'reading the words with the language model' } });
        const read = message.encoder ? await withEncoderStates(message.encoder, message.sentences, signal, (p) => send('embed', p)) : null;
        const model = await trainTagger(read?.sentences ?? message.sentences, { seed: message.seed, signal, lexical: message.lexical ?? true, onProgress: (p) => send('train', p) });
        return { type: 'tagger', model: read ? { ...model, encoder: read.encoder } : model };
      });
      break;
    case 'estimate':
      enqueue(async (signal) => ({ type: 'estimated', estimate: await estimateFineTune(message.job, signal) }));
      break;
    case 'predict':
      enqueue(async (signal) => {
        const predictor = await predictorFor(message.modelDir);
        const rows = await predictor.predict(message.texts, undefined, signal, message.pairs);
        return { type: 'predictions', requestId: message.requestId, rows };
      }, message.requestId);
      break;
    case 'export':
      // Here rather than in the owner: building the graph and comparing it with the app load tfjs, the encoder and
      // ONNX Runtime for seconds, which would freeze Electron's main process.
      enqueue(async () => {
        const progress = (text: string) => parent.send({ type: 'exportProgress', requestId: message.requestId, message: text });
        const exported = await exportModel(message.modelDir, message.outDir, { quantize: message.quantize, onProgress: progress, metrics: message.metrics });
        if (message.checkTexts.length === 0) return { type: 'exported', requestId: message.requestId, outcome: { outDir: exported.outDir } };
        progress(`checking the ONNX model against the app on ${message.checkTexts.length} test documents`);
        const { documents, onnx } = await checkParity(message.modelDir, exported.outDir, message.checkTexts);
        const check = { documents, sameLabels: onnx.sameLabels, maxAbsDiff: onnx.maxAbsDiff };
        return { type: 'exported', requestId: message.requestId, outcome: { outDir: exported.outDir, check } };
      }, message.requestId);
      break;
    case 'cancel':
      for (const controller of unfinished) controller.abort();
      break;
  }
});
