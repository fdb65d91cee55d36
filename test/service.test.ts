// The app service end to end on real parts: a project file in a temp folder, CSV import through the real parsers,
// label operations, the imbalance review, a real (small) training run in the worker process, and predictions.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import JSZip from 'jszip';
import { after, before, describe, it } from 'node:test';
import type { EventChannels } from '../shared/api.js';
import { DEFAULT_TRAIN_SETTINGS } from '../shared/domain.js';
import { toCsv } from '../shared/csv.js';
import { defaultSamplePath } from '../electron/backend/app/resources.js';
import { createAppService, type AppService } from '../electron/backend/app/service.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { nodeWorkerSpawner, type WorkerSpawner } from '../electron/backend/training/worker-client.js';
import { loadSpamAssassin, SPAM_LABELS } from './fixtures/corpora.js';
import { uploadBytes } from './fixtures/upload.js';

let dir: string;
let service: AppService;

/** Worker processes started so far (the real Node worker, counted). */
let spawned = 0;
const countingSpawner = (): WorkerSpawner => {
  const spawn = nodeWorkerSpawner();
  return () => {
    spawned++;
    return spawn();
  };
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'finetune-service-'));
  service = createAppService({ dataDir: join(dir, 'data'), samplePath: defaultSamplePath(), spawner: countingSpawner() });
});
after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Real e-mails, a few per class, with the corpus's imbalance (ham > spam > hard_ham). */
function writeCsv(name: string, perLabel: Record<string, number>): string {
  const rows = SPAM_LABELS.flatMap((label) =>
    loadSpamAssassin()
      .train.filter((e) => e.label === label)
      .slice(0, perLabel[label])
      .map((e) => [e.text.slice(0, 800), label]),
  );
  const file = join(dir, name);
  writeFileSync(file, toCsv(['body', 'category'], rows));
  return file;
}

/** The mail every project of these tests starts with. */
const MAIL = { ham: 24, spam: 12, hard_ham: 8 };

/** A new project with the mail imported, open in `on`: each test starts from its own state, not the last test's. */
async function freshMailProject(name: string, on: AppService = service): Promise<string> {
  const { path } = await on.handle('projects:create', { name, task: 'single_label' });
  await on.handle('import:run', { paths: [writeCsv(`${name}.csv`, MAIL)], options: { textCol: 'body', labelCol: 'category' } });
  return path;
}

const counts = async () => Object.fromEntries((await service.handle('labels:list', undefined)).map((l) => [l.name, l.count]));

describe('app service', () => {
  it('refuses bad arguments and calls that need a project, with clear messages', async () => {
    await assert.rejects(service.handle('labels:list', undefined), /No project is open/);
    await assert.rejects(service.handle('projects:create', { name: 'x', task: 'binary' } as never), /projects:create\.task: expected one of 'single_label', 'multi_label'/);
    await assert.rejects(service.handle('projects:create', { name: 'x', task: 'single_label', extra: 1 } as never), /unexpected field 'extra'/);
    await assert.rejects(service.handle('train:start', { settings: { epochs: 'many' } } as never), /train:start\.settings\.epochs: expected an integer/);
    await assert.rejects(service.handle('nope' as never, undefined as never), /Unknown request channel 'nope'/);
  });

  it('creates a project, imports a CSV and reports it', async () => {
    const created = await service.handle('projects:create', { name: 'Mail triage', task: 'single_label' });
    const projectPath = created.path;
    assert.equal(created.project.name, 'Mail triage');
    const csv = writeCsv('mail.csv', MAIL);
    const preview = await service.handle('import:preview', { path: csv });
    assert.deepEqual(preview.columns, ['body', 'category']);
    const progress: EventChannels['import:progress'][] = [];
    const stop = service.on((event, payload) => event === 'import:progress' && progress.push(payload as EventChannels['import:progress']));
    const report = await service.handle('import:run', { paths: [csv], options: { textCol: 'body', labelCol: 'category' } });
    stop();
    assert.equal(report.imported + report.skipped, 44);
    assert.ok(progress.length > 0);
    assert.deepEqual(await service.handle('projects:current', undefined).then((c) => c?.path), projectPath);
    assert.equal((await service.handle('projects:recent', undefined))[0].path, projectPath);
  });

  it('label operations change the counts, and labeling a document is saved', async () => {
    await freshMailProject('labels');
    const before = await counts();
    await service.handle('labels:add', { name: 'newsletter', description: 'Mail the reader subscribed to' });
    await service.handle('labels:rename', { from: 'newsletter', to: 'bulk' });
    const page = await service.handle('documents:query', { label: 'ham', limit: 2 });
    assert.equal(page.total, before.ham);
    const doc = page.documents[0];
    assert.deepEqual(await service.handle('documents:setLabels', { documentId: doc.id, labels: ['bulk'] }), { documentId: doc.id, labels: ['bulk'] });
    assert.deepEqual(await counts(), { ...before, ham: before.ham - 1, bulk: 1 });
    await service.handle('labels:merge', { from: 'bulk', into: 'ham' });
    assert.deepEqual(await counts(), before);
    await service.handle('labels:add', { name: 'unused' });
    const deleted = await service.handle('labels:delete', { name: 'unused' });
    assert.equal(deleted.annotationsRemoved, 0);
    const described = await service.handle('labels:describe', { name: 'spam', description: 'Unwanted bulk mail' });
    assert.equal(described.find((l) => l.name === 'spam')?.description, 'Unwanted bulk mail');
  });

  it('reviews the imbalance from the stored counts', async () => {
    await freshMailProject('review');
    const review = await service.handle('review:imbalance', undefined);
    const stored = await counts();
    assert.deepEqual(Object.fromEntries(review.classes.map((c) => [c.label, c.count])), stored);
    assert.equal(review.imbalanceRatio, Math.max(...Object.values(stored)) / Math.min(...Object.values(stored)));
  });

  it('trains in the worker, records the run, and predicts with its model', async () => {
    const projectPath = await freshMailProject('training');
    const spawnedBefore = spawned;
    const events: string[] = [];
    let activeSeen = false;
    const finished = new Promise<EventChannels['train:finished']>((resolve) => {
      service.on((event, payload) => {
        events.push(event);
        if (event === 'train:progress' && !activeSeen) {
          activeSeen = true;
          void service.handle('train:active', undefined).then((active) => assert.equal(active?.runId, 1));
        }
        if (event === 'train:finished') resolve(payload as EventChannels['train:finished']);
      });
    });
    await assert.rejects(service.handle('suggest:next', {}), /No trained model yet: train one first/);
    const { runId } = await service.handle('train:start', { settings: { strategy: 'weighted', epochs: 8 } });
    await assert.rejects(service.handle('train:start', { settings: {} }), /still training/);
    assert.deepEqual(await finished, { runId, status: 'completed', error: null });
    assert.ok(events.includes('train:progress'));
    assert.equal(await service.handle('train:active', undefined), null);

    const [run] = await service.handle('runs:list', undefined);
    assert.deepEqual([run.id, run.status, run.settings], [runId, 'completed', { ...DEFAULT_TRAIN_SETTINGS, strategy: 'weighted', epochs: 8 }]);
    const metrics = await service.handle('runs:metrics', { runId });
    assert.equal(run.f1Macro, metrics.f1_macro);
    assert.deepEqual(metrics.labels.slice().sort(), ['ham', 'hard_ham', 'spam']);
    assert.deepEqual(await service.handle('runs:history', { runId }), [], 'the linear head is fitted to convergence: no epochs');
    assert.equal(metrics.selection?.method, 'cross-validation');
    assert.equal((await service.handle('runs:predictions', { runId })).length, metrics.n_test);

    const texts = ['Dear friend, claim your FREE prize now!!! Click here to unsubscribe', 'Re: the patch for the mail filter looks fine to me'];
    const rows = await service.handle('predict:texts', { runId, texts });
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.equal(row.predicted.length, 1);
      assert.ok(metrics.labels.includes(row.predicted[0]));
      const total = Object.values(row.probabilities).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-4, `probabilities sum to ${total}`);
    }
    const spawnedBeforeSecondPrediction = spawned;
    const file = writeCsv('new-mail.csv', { ham: 2, spam: 1, hard_ham: 0 });
    const fromFile = await service.handle('predict:file', { runId, path: file, options: { textCol: 'body' } });
    assert.equal(fromFile.rows.length, 3);
    assert.equal(spawned, spawnedBeforeSecondPrediction, 'the prediction worker (model loaded) serves the next request');
    assert.equal(spawned - spawnedBefore, 2, 'one training process, one prediction process');

    // Label next: nothing while every document is labeled; then the unlabeled ones, ranked, each with its reason.
    assert.deepEqual((await service.handle('suggest:next', {})).suggestions, []);
    const unlabeled = join(dir, 'unlabeled.csv');
    writeFileSync(unlabeled, toCsv(['body', 'category'], [['Win a free cruise, reply with your bank details', ''], ['Meeting moved to 3pm, agenda attached', ''], ['Your account statement for March is ready', '']]));
    await service.handle('import:run', { paths: [unlabeled], options: { textCol: 'body', labelCol: 'category' } });
    const next = await service.handle('suggest:next', { count: 2 });
    assert.equal(next.runId, runId);
    assert.equal(next.unlabeled, 3);
    assert.equal(next.suggestions.length, 2);
    assert.ok(next.suggestions.every((s) => s.document.labels.length === 0 && /^the model is torn between \S+ \d+% and \S+ \d+%/.test(s.reason)));
    assert.ok(next.suggestions[0].score >= next.suggestions[1].score);
    assert.equal(spawned - spawnedBefore, 2, 'label next reads them with the loaded prediction worker');
    assert.equal(fromFile.csv.split('\r\n')[0], 'text,predicted,p_ham,p_hard_ham,p_spam'.replace(/p_ham,p_hard_ham,p_spam/, metrics.labels.map((l) => `p_${l}`).join(',')));

    const exportSteps: string[] = [];
    const stopListening = service.on((event, payload) => {
      if (event === 'export:progress') exportSteps.push((payload as EventChannels['export:progress']).message);
    });
    const exported = await service.handle('export:onnx', { runId });
    stopListening();
    assert.ok(exported.outDir.startsWith(join(dir, 'data', 'exports')), exported.outDir);
    assert.ok(existsSync(join(exported.outDir, 'onnx', 'model.onnx')));
    assert.match(readFileSync(join(exported.outDir, 'README.md'), 'utf8'), /macro-F1: \*\*\d\.\d+\*\*/, 'the model card carries the run\'s test results');
    // Progress came as events, ending with the comparison against the app, which found the same answers.
    assert.equal(exportSteps[0], 'building the ONNX graph');
    assert.match(exportSteps.at(-1)!, /^checking the ONNX model against the app on \d+ test documents$/);
    assert.ok(exported.check && exported.check.documents > 0, JSON.stringify(exported.check));
    assert.equal(exported.check.sameLabels, exported.check.documents);
    assert.ok(exported.check.maxAbsDiff < 1e-4, String(exported.check.maxAbsDiff));

    // What the service returned is what the project file holds, read by a fresh store after the service let go.
    await service.close();
    const store = ProjectStore.open(projectPath);
    try {
      assert.deepEqual(store.runMetrics(runId), metrics);
      assert.equal(store.listRuns()[0].status, 'completed');
    } finally {
      store.close();
    }
    service = createAppService({ dataDir: join(dir, 'data'), samplePath: defaultSamplePath(), spawner: countingSpawner() });
  });

  it('fine-tunes from the app: the time is measured first, the run trains USE-lite\'s top layer, and its ONNX export matches', async () => {
    await freshMailProject('fine-tuning');
    await assert.rejects(service.handle('train:estimate', { settings: { depth: 'top-3' as 'top-1' } }), /depth/);
    const estimate = await service.handle('train:estimate', { settings: { depth: 'top-1', fineTune: { epochs: 1 } } });
    assert.equal(estimate.depth, 'top-1');
    assert.equal(estimate.epochs, 1);
    assert.ok(estimate.secondsPerStep > 0 && estimate.steps >= 1 && estimate.seconds >= estimate.steps * estimate.secondsPerStep, JSON.stringify(estimate));
    assert.equal(estimate.gpuSeconds === null, !['wasm', 'cpu'].includes(estimate.backend));

    const finished = new Promise<EventChannels['train:finished']>((resolve) => {
      service.on((event, payload) => {
        if (event === 'train:finished') resolve(payload as EventChannels['train:finished']);
      });
    });
    const { runId } = await service.handle('train:start', { settings: { depth: 'top-1', fineTune: { epochs: 1, maxLength: 48 } } });
    assert.deepEqual(await finished, { runId, status: 'completed', error: null });
    const metrics = await service.handle('runs:metrics', { runId });
    assert.match(metrics.selection?.reason ?? '', /^Fine-tuned \(top-1\) for 1 epoch/);
    assert.match(metrics.strategy.backend, /fine-tuned, depth top-1/);
    const exported = await service.handle('export:onnx', { runId });
    assert.ok(exported.check && exported.check.documents === metrics.n_test, JSON.stringify(exported.check));
    assert.equal(exported.check.sameLabels, exported.check.documents);
    assert.ok(exported.check.maxAbsDiff < 1e-4, String(exported.check.maxAbsDiff));
  });

  it('a cancelled fine-tuning run keeps its finished epochs, and a new run goes on from them', async () => {
    await freshMailProject('resuming');
    const outcomes = new Map<number, EventChannels['train:finished']>();
    let cancelAfterFirstEpoch: number | null = null;
    const stop = service.on((event, payload) => {
      if (event === 'train:progress') {
        const p = payload as EventChannels['train:progress'];
        const runId = cancelAfterFirstEpoch;
        if (runId !== null && p.runId === runId && p.valMacroF1 !== undefined) {
          cancelAfterFirstEpoch = null;
          void service.handle('train:cancel', { runId });
        }
      }
      if (event === 'train:finished') outcomes.set((payload as EventChannels['train:finished']).runId, payload as EventChannels['train:finished']);
    });
    const finished = async (runId: number) => {
      while (!outcomes.has(runId)) await new Promise((resolve) => setTimeout(resolve, 50));
      return outcomes.get(runId)!;
    };
    try {
      const settings = { depth: 'top-1' as const, fineTune: { epochs: 3, maxLength: 32, batchSize: 8 } };
      const first = await service.handle('train:start', { settings });
      cancelAfterFirstEpoch = first.runId;
      assert.equal((await finished(first.runId)).status, 'cancelled');
      assert.deepEqual(await service.handle('runs:checkpoint', { runId: first.runId }), { epoch: 1, epochs: 3 });
      const second = await service.handle('train:resume', { runId: first.runId });
      assert.notEqual(second.runId, first.runId);
      assert.equal((await finished(second.runId)).status, 'completed');
      const metrics = await service.handle('runs:metrics', { runId: second.runId });
      assert.match(metrics.selection?.reason ?? '', /resumed after epoch 1/);
      assert.equal(await service.handle('runs:checkpoint', { runId: first.runId }), null, 'the checkpoint moved to the new run and ended with it');
      await assert.rejects(service.handle('train:resume', { runId: second.runId }), /kept no finished epoch to go on from/);
    } finally {
      stop();
    }
  });

  it('records labels under the name given once per installation, and writes the run\'s audit pack', async () => {
    await freshMailProject('audited');
    assert.deepEqual(await service.handle('settings:get', undefined), { author: null });
    const finished = new Promise<EventChannels['train:finished']>((resolve) => {
      const stop = service.on((event, payload) => {
        if (event === 'train:finished') {
          stop();
          resolve(payload as EventChannels['train:finished']);
        }
      });
    });
    const { runId } = await service.handle('train:start', { settings: { strategy: 'weighted' } });
    assert.equal((await finished).status, 'completed');
    assert.deepEqual(await service.handle('settings:setAuthor', { author: '  Ada Lovelace ' }), { author: 'Ada Lovelace' });
    const [doc] = (await service.handle('documents:query', { limit: 1 })).documents;
    await service.handle('documents:setLabels', { documentId: doc.id, labels: ['spam'] });
    const exported = await service.handle('export:onnx', { runId });
    const pack = await service.handle('audit:save', { runId });
    assert.ok(pack.path.startsWith(join(dir, 'data', 'exports')) && pack.path.endsWith('.zip'), pack.path);
    assert.equal(pack.files, 11);
    const zip = await JSZip.loadAsync(readFileSync(pack.path));
    const exportFiles = await zip.file('export-files.csv')!.async('string');
    assert.ok(exportFiles.includes(`${exported.outDir},onnx/model.onnx,`), 'the run\'s ONNX export is hashed');
    const annotations = await zip.file('annotations.csv')!.async('string');
    assert.match(annotations, new RegExp(`^${doc.id},spam,manual,Ada Lovelace,`, 'm'));
    assert.match(await zip.file('README.txt')!.async('string'), /check with: npx finetune audit verify ".* run \d+ audit\.zip"/);
    // Both reach the page as downloads, read in chunks by a random id: the audit pack as written, the export zipped.
    const readOffer = async (offer: { downloadId: string; bytes: number }) => {
      const parts: Buffer[] = [];
      for (let offset = 0, done = false; !done; ) {
        const chunk = await service.handle('download:chunk', { downloadId: offer.downloadId, offset });
        parts.push(Buffer.from(chunk.base64, 'base64'));
        offset += parts.at(-1)!.length;
        done = chunk.done;
      }
      assert.equal(Buffer.concat(parts).length, offer.bytes);
      return Buffer.concat(parts);
    };
    assert.deepEqual(await readOffer(pack.download), readFileSync(pack.path));
    const offer = await service.handle('export:zip', { runId });
    assert.equal(offer.fileName, `${basename(exported.outDir)}.zip`);
    const exportZip = await JSZip.loadAsync(await readOffer(offer));
    const model = exportZip.file(`${basename(exported.outDir)}/onnx/model.onnx`);
    assert.ok(model, Object.keys(exportZip.files).join(', '));
    assert.deepEqual(await model.async('nodebuffer'), readFileSync(join(exported.outDir, 'onnx', 'model.onnx')));
    // An offer ends with its last chunk; a made-up id reads nothing.
    await assert.rejects(service.handle('download:chunk', { downloadId: offer.downloadId, offset: 0 }), /unknown or expired/);
    await assert.rejects(service.handle('download:chunk', { downloadId: '0'.repeat(32), offset: 0 }), /unknown or expired/);
    await assert.rejects(service.handle('export:zip', { runId: runId + 1000 }), /no ONNX export to download yet/);
    // The name is the installation's: a new service over the same data folder still has it.
    const again = createAppService({ dataDir: join(dir, 'data'), samplePath: defaultSamplePath(), spawner: countingSpawner() });
    assert.deepEqual(await again.handle('settings:get', undefined), { author: 'Ada Lovelace' });
    await again.close();
  });

  it('on open, a run left running by a crash is marked failed with the reason', async () => {
    const projectPath = await freshMailProject('crashed-run');
    await service.handle('projects:create', { name: 'elsewhere', task: 'single_label' });
    // Another process starts a run and dies without finishing it, as a crashed app would.
    const storeModule = pathToFileURL(join(import.meta.dirname, '..', 'electron', 'backend', 'store', 'project-store.ts')).href;
    const script = `const { ProjectStore } = await import(${JSON.stringify(storeModule)});
      const store = ProjectStore.open(${JSON.stringify(projectPath)});
      console.log(store.createRun(${JSON.stringify(DEFAULT_TRAIN_SETTINGS)}));
      process.exit(0);`;
    const stale = Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
    await service.handle('projects:open', { path: projectPath });
    const run = (await service.handle('runs:list', undefined)).find((r) => r.id === stale);
    assert.equal(run?.status, 'failed');
    assert.match(run?.error ?? '', /stopped unexpectedly/);
  });

  it('refuses writes while an import holds the project, so a failed import cannot roll them back', async () => {
    await freshMailProject('busy');
    const csv = writeCsv('more.csv', { ham: 30, spam: 14, hard_ham: 10 });
    const importing = service.handle('import:run', { paths: [csv], options: { textCol: 'body', labelCol: 'category' } });
    await assert.rejects(service.handle('labels:add', { name: 'during' }), /import into .* is still running/);
    await assert.rejects(service.handle('projects:openSample', undefined), /is still running/);
    assert.ok((await service.handle('labels:list', undefined)).length > 0, 'reading is fine meanwhile');
    assert.equal((await importing).imported, 10);
    await service.handle('labels:add', { name: 'after' });
    assert.ok((await service.handle('labels:list', undefined)).some((l) => l.name === 'after'));
  });

  it('opens the bundled sample with its labels and descriptions', async () => {
    const { project } = await service.handle('projects:openSample', undefined);
    assert.equal(project.name, 'SpamAssassin sample');
    const labels = await service.handle('labels:list', undefined);
    assert.deepEqual(Object.fromEntries(labels.map((l) => [l.name, l.count])), { ham: 200, spam: 60, hard_ham: 40 });
    assert.ok(labels.every((l) => l.description.length > 10));
  });
});

describe('heavy reads', () => {
  it('a large project is reviewed and its labels counted in threads: another call is answered meanwhile, and the figures are the same', async () => {
    const threaded = createAppService({ dataDir: join(dir, 'data-threaded'), samplePath: defaultSamplePath(), heavyReadsInThreadFrom: 1 });
    try {
      const path = await freshMailProject('threaded', threaded);
      const answered: string[] = [];
      const review = threaded.handle('review:imbalance', undefined).then((r) => (answered.push('review'), r));
      const labels = threaded.handle('labels:list', undefined).then((l) => (answered.push('labels'), l));
      const current = threaded.handle('projects:current', undefined).then((c) => (answered.push('current'), c));
      const [reviewed, listed] = await Promise.all([review, labels, current]);
      assert.equal(answered[0], 'current', 'a thread held the loop');
      const store = ProjectStore.open(path);
      try {
        assert.deepEqual(reviewed, store.review());
        assert.deepEqual(listed, store.labels());
      } finally {
        store.close();
      }
    } finally {
      await threaded.close();
    }
  });
});

describe('folder uploads (browser drop of a folder of label subfolders)', () => {
  const uploads = () => join(dir, 'data', 'uploads');
  const call: Parameters<typeof uploadBytes>[0] = (channel, arg) => service.handle(channel, arg);
  const upload = (relativePath: string, text: string, batch = 'drop-1') => uploadBytes(call, { name: relativePath.split('/').at(-1)!, content: text, relativePath, batch });
  /** Every file under uploads/, as paths relative to it with '/' — to prove nothing was written elsewhere. */
  const uploadedFiles = (): string[] =>
    readdirSync(uploads(), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(uploads(), join(e.parentPath, e.name)).split(sep).join('/'))
      .sort();

  it('rebuilds the folders under uploads/<batch>/ and names the dropped folder', async () => {
    const ham = await upload('mail/ham/1.eml', 'Subject: lunch\n\nSee you at noon.');
    await upload('mail/spam/2.eml', 'Subject: WIN\n\nFree money.');
    assert.equal(ham.path, join(uploads(), 'drop-1', 'mail', 'ham', '1.eml'));
    assert.equal(ham.folder, join(uploads(), 'drop-1', 'mail'));
    assert.equal(ham.batchFolder, join(uploads(), 'drop-1'));
    assert.equal(readFileSync(ham.path, 'utf8'), 'Subject: lunch\n\nSee you at noon.');
    // The same name again in the same folder is kept, not overwritten.
    const again = await upload('mail/ham/1.eml', 'another');
    assert.equal(again.path, join(uploads(), 'drop-1', 'mail', 'ham', '1 (2).eml'));
  });

  it('refuses paths that could leave the batch folder, and bad batch ids, writing nothing', async () => {
    const before = uploadedFiles();
    for (const [relativePath, reason] of [
      ['../escape.txt', /contains '\.\.'/],
      ['mail/../../escape.txt', /contains '\.\.'/],
      ['mail\\..\\..\\escape.txt', /contains '\.\.'/],
      ['/etc/passwd', /is absolute/],
      ['C:/Windows/win.ini', /is absolute/],
      ['mail//x.txt', /empty folder name/],
      ['mail/./x.txt', /contains '\.'/],
      ['mail/x\0.txt', /NUL/],
    ] as const) {
      await assert.rejects(upload(relativePath, 'x'), reason, relativePath);
    }
    await assert.rejects(upload('mail/ham/3.eml', 'x', '../other'), /batch id/);
    await assert.rejects(service.handle('upload:begin', { name: 'a.txt', size: 1, relativePath: 'mail/a.txt' }), /batch id/);
    assert.deepEqual(uploadedFiles(), before);
    assert.ok(!existsSync(join(dir, 'data', 'escape.txt')) && !existsSync(join(dir, 'escape.txt')));
  });

  it('cleans odd characters in folder names', async () => {
    const result = await upload('in:box/sp*am/a?.txt', 'x', 'drop-2');
    assert.equal(result.path, join(uploads(), 'drop-2', 'in_box', 'sp_am', 'a_.txt'));
  });
});

describe('uploads are streamed, checked and removed once imported', () => {
  const uploads = () => join(dir, 'data', 'uploads');
  const call: Parameters<typeof uploadBytes>[0] = (channel, arg) => service.handle(channel, arg);

  it('refuses invalid base64, chunks out of order, more bytes than announced, and files over the limit', async () => {
    const { uploadId } = await service.handle('upload:begin', { name: 'a.txt', size: 6 });
    await assert.rejects(service.handle('upload:chunk', { uploadId, offset: 3, base64: 'YWJj' }), /chunk at byte 3, but 0 bytes were received/);
    await assert.rejects(service.handle('upload:chunk', { uploadId, offset: 0, base64: 'not base64!' }), /not valid base64/);
    await assert.rejects(service.handle('upload:chunk', { uploadId, offset: 0, base64: 'YWJj' }), /unknown or was dropped/, 'a refused chunk drops the upload');
    const second = await service.handle('upload:begin', { name: 'b.txt', size: 2 });
    await assert.rejects(service.handle('upload:chunk', { uploadId: second.uploadId, offset: 0, base64: 'YWJj' }), /more bytes arrived than the 2 announced/);
    const third = await service.handle('upload:begin', { name: 'c.txt', size: 4 });
    await service.handle('upload:chunk', { uploadId: third.uploadId, offset: 0, base64: 'YWI=' });
    await assert.rejects(service.handle('upload:finish', { uploadId: third.uploadId }), /2 of 4 bytes arrived/);
    await assert.rejects(service.handle('upload:begin', { name: 'huge.csv', size: 2 * 1024 ** 3 }), /more than the 1 GB one upload may hold/);
    assert.ok(readdirSync(uploads(), { recursive: true }).every((name) => !String(name).includes('.part-') || String(name).startsWith('c.txt')), 'refused uploads leave no partial file');
  });

  it('a multi-chunk file arrives whole, and is removed from uploads/ after its import', async () => {
    const csv = readFileSync(writeCsv('big.csv', { ham: 80, spam: 20, hard_ham: 0 }));
    const content = Buffer.concat([csv, Buffer.from('\n'.repeat(3 * 1024 * 1024))]);
    const { path } = await uploadBytes(call, { name: 'big.csv', content });
    assert.deepEqual(readFileSync(path), content);
    await service.handle('projects:create', { name: 'uploaded', task: 'single_label', path: join(dir, 'uploaded.ftproj') });
    const report = await service.handle('import:run', { paths: [path], options: { textCol: 'body', labelCol: 'category' } });
    assert.equal(report.imported, 100);
    assert.equal(existsSync(path), false, 'the uploaded copy is gone once imported');
  });
});

describe('strategy search over the service', () => {
  let own: AppService;
  before(async () => {
    own = createAppService({ dataDir: join(dir, 'search-data'), samplePath: defaultSamplePath() });
    await own.handle('projects:create', { name: 'search', task: 'single_label', path: join(dir, 'search.ftproj') });
    await own.handle('import:run', { paths: [writeCsv('search.csv', { ham: 60, spam: 20, hard_ham: 12 })], options: { textCol: 'body', labelCol: 'category' } });
  });
  after(() => own.close());

  it('measures the candidates in a worker with progress, refuses training meanwhile, and is cancellable', async () => {
    const progress: EventChannels['strategies:progress'][] = [];
    own.on((event, payload) => {
      if (event === 'strategies:progress') progress.push(payload as EventChannels['strategies:progress']);
    });
    const searching = own.handle('strategies:search', { settings: { repeats: 1 } });
    await assert.rejects(own.handle('train:start', { settings: {} }), /strategy search or label check is running/);
    const report = await searching;
    assert.ok(report.candidates.length > 0 && report.candidates.some((c) => c.name === report.pick.name));
    assert.ok(progress.some((p) => p.phase === 'search'), 'search progress reached the page');
    assert.ok(report.documents < 92, 'the test split was set aside');

    const cancelled = own.handle('strategies:search', { settings: { repeats: 1 } });
    const stop = new Promise<void>((resolve) => own.on((event) => {
      if (event === 'strategies:progress') resolve();
    }));
    await stop;
    assert.deepEqual(await own.handle('analysis:cancel', undefined), { cancelled: true });
    await assert.rejects(cancelled, (error: Error) => error.name === 'AbortError');
    await assert.rejects(own.handle('strategies:search', { settings: { folds: 1 } }), /strategies:search\.settings\.folds: expected an integer from 2 to 20/);
  });
});
