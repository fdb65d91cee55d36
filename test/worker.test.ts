// The real training worker as a Node child process: a small run returns metrics; cancel ends in an AbortError and
// a stopped process; a SIGKILLed worker rejects with the reason, and through the app service the run is recorded
// as failed with that reason, never left 'running'.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EventChannels } from '../shared/api.js';
import { DEFAULT_TRAIN_SETTINGS, type TrainProgress } from '../shared/domain.js';
import { toCsv } from '../shared/csv.js';
import { createAppService } from '../electron/backend/app/service.js';
import { defaultSamplePath } from '../electron/backend/app/resources.js';
import type { TrainJob } from '../electron/backend/training/job.js';
import { nodeWorkerSpawner, PredictionWorker, startTraining, type WorkerPort, type WorkerSpawner } from '../electron/backend/training/worker-client.js';
import { loadSpamAssassin, SPAM_LABELS } from './fixtures/corpora.js';

let dir: string;
/** The model the first test trains, used by the prediction worker test. */
let trainedModelDir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'finetune-worker-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A few real e-mails per class, bodies cut short so the run stays quick. */
function smallCorpus(perLabel: number) {
  return SPAM_LABELS.flatMap((label) =>
    loadSpamAssassin()
      .train.filter((e) => e.label === label)
      .slice(0, perLabel)
      .map((e) => ({ text: e.text.slice(0, 600), label })),
  );
}

function job(name: string, perLabel = 12): TrainJob {
  return {
    task: 'single_label',
    labels: [...SPAM_LABELS],
    examples: smallCorpus(perLabel).map((e, i) => ({ id: i + 1, text: e.text, contentHash: `h${i}`, labels: [e.label] })),
    settings: { ...DEFAULT_TRAIN_SETTINGS, strategy: 'weighted', epochs: 5 },
    encoder: 'use-lite',
    // Each test its own cold cache, so a run cannot finish before the test interrupts it.
    cacheFile: join(dir, `${name}-cache.sqlite`),
    modelDir: join(dir, `${name}-model`),
  };
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Resolves once the process has gone (polling, since it is not our child in the service test). */
/** Waits for the process to end; a worker still alive after `seconds` fails the test instead of hanging it. */
async function exited(pid: number, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) assert.fail(`worker ${pid} still running ${seconds} s after its job ended`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The real Node worker, with the type of every message it sends recorded. */
function recordingSpawner(received: string[]): WorkerSpawner {
  const spawn = nodeWorkerSpawner();
  return () => {
    const port = spawn();
    port.onMessage((message) => received.push(message.type));
    return port;
  };
}

describe('training worker (Node child process)', () => {
  it('runs a small training job and returns metrics, streaming progress', async () => {
    const phases = new Set<string>();
    const run = startTraining(job('normal'), { onProgress: (p) => phases.add(p.phase) });
    const result = await run.done;
    assert.deepEqual(result.metrics.labels, SPAM_LABELS);
    assert.ok(result.metrics.f1_macro >= 0 && result.metrics.f1_macro <= 1);
    assert.equal(result.metrics.n_test, result.split.test.length);
    assert.ok(phases.has('embed') && phases.has('train'), [...phases].join(','));
    await exited(run.pid!);
    trainedModelDir = result.modelDir;
  });

  it('the prediction worker keeps the model loaded, and a killed one fails its request and is replaced', async () => {
    const ports: WorkerPort[] = [];
    const spawn = nodeWorkerSpawner();
    const predictions = new PredictionWorker(() => {
      const port = spawn();
      ports.push(port);
      return port;
    });
    try {
      const texts = ['FREE money, click now', 'the build is green again'];
      const first = await predictions.predict(trainedModelDir, texts);
      assert.deepEqual(first.map((r) => r.text), texts);
      assert.deepEqual(await predictions.predict(trainedModelDir, texts), first, 'same model, same answers');
      assert.equal(ports.length, 1);

      const pending = predictions.predict(trainedModelDir, texts);
      process.kill(ports[0].pid!, 'SIGKILL');
      await assert.rejects(pending, /the prediction process stopped unexpectedly \(signal SIGKILL\)/);
      assert.deepEqual(await predictions.predict(trainedModelDir, texts), first);
      assert.equal(ports.length, 2);
    } finally {
      predictions.close();
    }
  });

  it('a cancel sent right behind the job is honoured by the worker itself: AbortError, the process ends', async () => {
    const received: string[] = [];
    const run = startTraining(job('cancel'), { spawner: recordingSpawner(received), onProgress: () => undefined });
    // Often read in the same chunk as the job, before the job has started: the worker must not lose it.
    run.cancel();
    await assert.rejects(run.done, (error: Error) => error.name === 'AbortError');
    assert.equal(received.at(-1), 'cancelled', `the worker answered the cancel itself (got ${received.join(', ')})`);
    await exited(run.pid!);
  });

  it('cancel during embedding ends the run, even when the worker is too busy to answer', async () => {
    let cancelled = false;
    const run = startTraining(job('cancel-embed'), {
      onProgress: (p: TrainProgress) => {
        if (p.phase === 'embed' && !cancelled) {
          cancelled = true;
          run.cancel();
        }
      },
    });
    await assert.rejects(run.done, (error: Error) => error.name === 'AbortError');
    assert.ok(cancelled);
    await exited(run.pid!);
  });

  it('a killed worker rejects with the reason', async () => {
    const run = startTraining(job('kill'), { onProgress: () => process.kill(run.pid!, 'SIGKILL') });
    await assert.rejects(run.done, /the training process stopped unexpectedly \(signal SIGKILL\)/);
  });

  it('a worker that runs out of memory rejects with the reason V8 gave', async () => {
    // A stand-in entry that exhausts a small heap, as a huge project would a real worker.
    const entry = join(dir, 'hungry-worker.mjs');
    writeFileSync(entry, "const hoard = []; process.on('message', () => { for (;;) hoard.push(new Array(1e5).fill(hoard.length)); });");
    const run = startTraining(job('oom'), {
      spawner: nodeWorkerSpawner({ file: entry, execArgv: ['--max-old-space-size=32'] }),
      onProgress: () => undefined,
    });
    await assert.rejects(run.done, /the training process stopped unexpectedly \(signal SIGABRT\): FATAL ERROR: .*heap out of memory/);
  });

  it('through the app service, a killed run is recorded as failed with the reason', async () => {
    const service = createAppService({ dataDir: join(dir, 'service-data'), samplePath: defaultSamplePath() });
    try {
      await service.handle('projects:create', { name: 'kill test', task: 'single_label' });
      const csv = join(dir, 'kill.csv');
      writeFileSync(csv, toCsv(['text', 'label'], smallCorpus(10).map((e) => [e.text, e.label])));
      await service.handle('import:run', { paths: [csv], options: { textCol: 'text', labelCol: 'label' } });
      const finished = new Promise<EventChannels['train:finished']>((resolve) => {
        let killed = false;
        service.on((event, payload) => {
          if (event === 'train:progress' && !killed) {
            killed = true;
            void service.handle('train:active', undefined).then((active) => process.kill(active!.workerPid!, 'SIGKILL'));
          }
          if (event === 'train:finished') resolve(payload as EventChannels['train:finished']);
        });
      });
      const { runId } = await service.handle('train:start', { settings: { epochs: 5 } });
      const outcome = await finished;
      const expected = 'the training process stopped unexpectedly (signal SIGKILL)';
      assert.deepEqual(outcome, { runId, status: 'failed', error: expected });
      const [run] = await service.handle('runs:list', undefined);
      assert.equal(run.status, 'failed');
      assert.equal(run.error, expected);
      assert.equal(await service.handle('train:active', undefined), null);
    } finally {
      await service.close();
    }
  });
});
