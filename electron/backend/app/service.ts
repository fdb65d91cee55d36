// The app service: every channel of shared/api.ts over the project store, the parsers and the training worker.
// It is the one owner of the open project's SQLite file, whether it runs in Electron's main process or in the
// browser host. Arguments are checked at the boundary (validate.ts); events go to the listeners given to on().
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { ActiveRun, EventChannel, EventChannels, LabelIssuesResult, RequestArg, RequestChannel, RequestResult } from '../../../shared/api.js';
import { predictionsToCsv } from '../../../shared/csv.js';
import { withEpochPoint } from '../../../shared/curve.js';
import { explainPair, explainPredictions } from '../../../shared/explain.js';
import { DEFAULT_FINE_TUNE_EPOCHS, DEFAULT_TRAIN_SETTINGS, type FineTuneEstimate, type ImportOptions, type ProjectTask, type RunStatus, type StrategySearchReport, type TaskKind, type TrainProgress, type TrainSettings } from '../../../shared/domain.js';
import { formatIssue, previewSource, readSources } from '../import/index.js';
import { ProjectStore, RunError, TaxonomyError } from '../store/project-store.js';
import { projectJob, recordRun } from '../training/project-runs.js';
import { CHECKPOINT_DIR, checkpointEpoch } from '../training/transformer/resume.js';
import { nodeWorkerSpawner, PredictionWorker, startEstimate, startLabelIssues, startSearch, startTagger, startTraining, type WorkerJob, type WorkerSpawner } from '../training/worker-client.js';
import { labelsOffLoop, reviewOffLoop } from './heavy-reads.js';
import { freePath, safeFileName } from './paths.js';
import { RecentProjects } from './recent.js';
import { Installation } from './installation.js';
import { buildAuditPack } from './audit-pack.js';
import { DEFAULT_JOB_MODEL, exportJob } from './job-export.js';
import { Uploads } from './uploads.js';
import { DownloadError, Downloads } from './downloads.js';
import { syntheticHandlers } from './synthetic-handlers.js';
import { tokenHandlers } from './token-handlers.js';
import { planTokenRun, TaggerCache, tokenRunOutcome } from './token-runs.js';
import { saveTagger } from '../training/tagger/files.js';
import { checkArgument, writesToProject } from '../../../shared/contract.js';
import { ArgumentError } from '../../../shared/schema.js';
import { isCancelled } from '../cancel.js';
import { labelNext } from './suggestions.js';

/** Another job holds the project: the request must wait (reply code 'busy'). */
export class BusyError extends Error {
  override name = 'BusyError';
}

export type ServiceListener = <E extends EventChannel>(event: E, payload: EventChannels[E]) => void;

export interface AppService {
  handle<C extends RequestChannel>(channel: C, arg: RequestArg<C>): Promise<RequestResult<C>>;
  on(listener: ServiceListener): () => void;
  close(): Promise<void>;
}

/** The bundled sample: a CSV plus how to import it (written by scripts/make-sample.ts). */
interface SampleManifest {
  name: string;
  task: TaskKind;
  file: string;
  textCol: string;
  labelCol: string;
  labels: Record<string, string>;
}

interface OpenProject {
  path: string;
  store: ProjectStore;
}

interface LiveRun {
  state: ActiveRun;
  job: WorkerJob<unknown>;
  /** Settles (never rejects) once the run's outcome is written to the project. */
  recorded: Promise<void>;
}

class NoProjectError extends Error {
  override name = 'NoProjectError';
  constructor() {
    super('No project is open: create or open a project first.');
  }
}

/** Test documents the app compares an ONNX export on: enough to catch a wrong graph, quick on a laptop. */
const EXPORT_CHECK_DOCUMENTS = 20;

export function createAppService(opts: {
  dataDir: string;
  spawner?: WorkerSpawner;
  samplePath: string;
  /** Projects with at least this many documents are reviewed and their labels counted in a worker thread (heavy-reads.ts); tests lower it. */
  heavyReadsInThreadFrom?: number;
}): AppService {
  const dataDir = resolve(opts.dataDir);
  const projectsDir = join(dataDir, 'projects');
  const uploads = new Uploads(join(dataDir, 'uploads'));
  const downloads = new Downloads(join(dataDir, 'downloads'));
  /** Each run's latest ONNX export of this session, to zip for 'export:zip'. */
  const exportedTo = new Map<number, string>();
  const cacheFile = join(dataDir, 'cache', 'embeddings.sqlite');
  for (const dir of [projectsDir, dirname(cacheFile)]) mkdirSync(dir, { recursive: true });
  const recent = new RecentProjects(dataDir);
  const installation = new Installation(dataDir);
  /** Who labels and reviews here; undefined until the user gives a name (the audit pack then shows none). */
  const author = () => installation.read().author ?? undefined;
  const spawner = opts.spawner ?? nodeWorkerSpawner();
  const predictions = new PredictionWorker(spawner);
  const tagger = new TaggerCache();
  const listeners = new Set<ServiceListener>();
  let current: OpenProject | null = null;
  let live: LiveRun | null = null;
  /** The strategy search in progress (one at a time, and never beside a training run: both want every core). */
  /** The analysis running in a worker of its own (the strategy search or the label check): one at a time. */
  let searching: WorkerJob<unknown> | null = null;
  /** Settles when the import in progress has committed or rolled back; null when none runs. */
  let importing: Promise<void> | null = null;

  function importInto(store: ProjectStore, ...args: Parameters<ProjectStore['importSources']>) {
    const run = store.importSources(...args);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    importing = settled;
    void settled.then(() => {
      if (importing === settled) importing = null;
    });
    return run;
  }

  /** Resolves once no import holds the project's write transaction. */
  async function importFinished(): Promise<void> {
    while (importing) await importing;
  }

  const emit: ServiceListener = (event, payload) => {
    for (const listener of listeners) listener(event, payload);
  };

  const project = (): OpenProject => {
    if (!current) throw new NoProjectError();
    return current;
  };

  const describe = (open: OpenProject) => ({ path: open.path, project: open.store.info() });

  function switchTo(path: string, store: ProjectStore): OpenProject {
    if (live) {
      store.close();
      throw new BusyError(`Run ${live.state.runId} is still training: cancel it or let it finish before opening another project.`);
    }
    // ProjectStore.open has already marked runs a crash left 'running' as failed.
    current?.store.close();
    current = { path, store };
    recent.remember(path, store.info().name);
    return current;
  }

  function openProject(path: string): OpenProject {
    const absolute = resolve(path);
    if (current?.path === absolute) return current;
    return switchTo(absolute, ProjectStore.open(absolute));
  }

  function createProject(name: string, task: ProjectTask, path?: string): OpenProject {
    const file = path ? resolve(path) : freePath(projectsDir, `${safeFileName(name)}.ftproj`);
    mkdirSync(dirname(file), { recursive: true });
    return switchTo(file, ProjectStore.create(file, { name, task }));
  }

  async function openSample(): Promise<OpenProject> {
    const manifest = JSON.parse(readFileSync(opts.samplePath, 'utf8')) as SampleManifest;
    const file = join(projectsDir, `${safeFileName(manifest.name)}.ftproj`);
    const open = existsSync(file) ? openProject(file) : createProject(manifest.name, manifest.task, file);
    // The import is one transaction: a sample whose import was cut short is empty, and is filled now.
    if (open.store.queryDocuments({ limit: 1 }).total === 0) {
      const csv = resolve(dirname(opts.samplePath), manifest.file);
      await importInto(open.store, [csv], { textCol: manifest.textCol, labelCol: manifest.labelCol });
      for (const [label, description] of Object.entries(manifest.labels)) open.store.describeLabel(label, description);
    }
    return open;
  }

  function modelDirFor(open: OpenProject, runId: number): string {
    const projectKey = createHash('sha256').update(open.path).digest('hex').slice(0, 10);
    return join(dataDir, 'models', `${safeFileName(basename(open.path, extname(open.path)))}-${projectKey}`, `run-${runId}`);
  }

  /** One analysis at a time (strategy search, label check, fine-tuning estimate), never beside a training run. */
  async function runAnalysis<T>(what: string, start: (open: OpenProject) => WorkerJob<T>): Promise<T> {
    const open = project();
    if (live) throw new BusyError(`Run ${live.state.runId} is training: wait for it or cancel it before ${what}.`);
    if (searching) throw new BusyError('A strategy search, label check or time estimate is already running: wait for it or cancel it.');
    const job = start(open);
    searching = job;
    try {
      return await job.done;
    } finally {
      searching = null;
    }
  }

  /** The strategy search on the open project's training split, in a worker of its own. */
  function searchStrategies(partial: Partial<TrainSettings> = {}): Promise<StrategySearchReport> {
    return runAnalysis('searching for a strategy', (open) => {
      const settings: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS, ...partial, strategy: 'auto', head: 'linear' };
      const job = projectJob(open.store, settings, { cacheFile });
      return startSearch({ ...job, modelDir: join(dataDir, 'models', 'strategy-search') }, { spawner, onProgress: (progress) => emit('strategies:progress', progress) });
    });
  }

  /** Which labels look wrong, over every labeled document of the open project, in a worker of its own. */
  async function checkLabels(): Promise<LabelIssuesResult> {
    const open = project();
    const report = await runAnalysis('checking the labels', () => {
      const job = projectJob(open.store, { ...DEFAULT_TRAIN_SETTINGS, head: 'linear' }, { cacheFile });
      return startLabelIssues({ ...job, modelDir: join(dataDir, 'models', 'label-check') }, { spawner, onProgress: (progress) => emit('labels:issuesProgress', progress) });
    });
    return { documents: report.documents, issues: report.issues.map((i) => ({ document: open.store.getDocument(Number(i.id)), given: i.given, suggested: i.suggested, score: i.score })) };
  }

  /** Fine-tuning's duration at the given depth, timed on the open project's documents in a worker of its own. */
  function estimateFineTuning(partial: Partial<TrainSettings>): Promise<FineTuneEstimate> {
    return runAnalysis('estimating fine-tuning', (open) => {
      const job = projectJob(open.store, { ...DEFAULT_TRAIN_SETTINGS, ...partial }, { cacheFile });
      return startEstimate({ ...job, modelDir: join(dataDir, 'models', 'estimate') }, { spawner, onProgress: () => undefined });
    });
  }

  /** Where a run's kept epoch is, when it was cancelled or failed while fine-tuning. */
  function checkpointDirOf(runId: number): { dir: string; settings: TrainSettings } | null {
    const open = project();
    const run = open.store.listRuns().find((r) => r.id === runId);
    if (!run || (run.status !== 'cancelled' && run.status !== 'failed')) return null;
    const dir = join(modelDirFor(open, runId), CHECKPOINT_DIR);
    return checkpointEpoch(dir) === null ? null : { dir, settings: run.settings };
  }

  function resumeRun(runId: number): { runId: number } {
    const kept = checkpointDirOf(runId);
    if (!kept) throw new Error(`Run ${runId} kept no finished epoch to go on from (only a cancelled or failed fine-tuning run does).`);
    return startRun(kept.settings, kept.dir);
  }

  /** `resumeFrom`: a checkpoint folder of an earlier run of these settings, moved into this run's model folder. */
  function startRun(partial: Partial<TrainSettings>, resumeFrom?: string): { runId: number } {
    const open = project();
    if (live) throw new BusyError(`Run ${live.state.runId} is still training: wait for it or cancel it first.`);
    if (searching) throw new BusyError('A strategy search or label check is running: wait for it or cancel it before training.');
    const { store } = open;
    const settings: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS, ...partial };
    if (store.info().task === 'token') return startTokenRun(open, settings);
    const base = { ...projectJob(store, settings, { cacheFile }), resume: resumeFrom !== undefined };
    const runId = store.createRun(settings);
    if (resumeFrom) {
      mkdirSync(modelDirFor(open, runId), { recursive: true });
      renameSync(resumeFrom, join(modelDirFor(open, runId), CHECKPOINT_DIR));
    }
    return launch(store, runId, (onProgress) => startTraining({ ...base, modelDir: modelDirFor(open, runId) }, { spawner, onProgress }), (result) => {
      recordRun(store, runId, { status: 'completed', result });
      // Load the new model in the prediction worker now, while the user reads the results: the Use step then
      // answers at once. A failure here shows up again, with its reason, on the first real prediction.
      predictions.predict(result.modelDir, []).catch(() => undefined);
    });
  }

  /** A token project's run: the tagger in the model worker, on the finished documents split by source document. */
  function startTokenRun(open: OpenProject, settings: TrainSettings): { runId: number } {
    const plan = planTokenRun(open.store, settings);
    const runId = open.store.createRun(settings);
    const started = performance.now();
    const modelDir = modelDirFor(open, runId);
    // A project on a Hugging Face encoder tags with its token states as well as the word features.
    const { encoder } = open.store.info();
    const folder = encoder.startsWith('hf:') ? encoder.slice(3) : undefined;
    return launch(open.store, runId, (onProgress) => startTagger(plan.train, settings.seed, { spawner, onProgress, encoder: folder }), async (model) => {
      await saveTagger(modelDir, model);
      open.store.finishTokenRun(runId, { ...(await tokenRunOutcome(plan, model, (performance.now() - started) / 1000)), modelDir });
    });
  }

  /**
   * Runs a created run's job in its worker: live progress and curve, then `complete` with the result once no import
   * holds the project (a run that ends during an import is written after it); a failure or cancel is recorded too.
   */
  function launch<T>(store: ProjectStore, runId: number, start: (onProgress: (p: TrainProgress) => void) => WorkerJob<T>, complete: (result: T) => void | Promise<void>): { runId: number } {
    const state: ActiveRun = { runId, startedAt: new Date().toISOString(), progress: null, history: [], workerPid: null };
    let job: WorkerJob<T>;
    try {
      job = start((progress) => {
        const withRun = { ...progress, runId };
        state.progress = withRun;
        state.history = withEpochPoint(state.history, withRun);
        emit('train:progress', withRun);
      });
    } catch (error) {
      store.finishRun(runId, { status: 'failed', error: (error as Error).message });
      throw error;
    }
    const outcome = job.done.then(
      async (result) => {
        await importFinished();
        return result;
      },
      async (error: unknown) => {
        await importFinished();
        throw error;
      },
    );
    const recorded = outcome.then(
      async (result) => {
        await complete(result);
        return { status: 'completed' as RunStatus, error: null };
      },
      (error: Error) => {
        const status: RunStatus = isCancelled(error) ? 'cancelled' : 'failed';
        const message = status === 'cancelled' ? null : error.message;
        recordRun(store, runId, { status, error: message ?? undefined });
        return { status, error: message };
      },
    );
    live = {
      state,
      job,
      recorded: recorded.then(
        (outcome) => {
          live = null;
          emit('train:finished', { runId, ...outcome });
        },
        (error: Error) => {
          // Writing the outcome itself failed (e.g. the disk is full, or another process held the file): say so
          // rather than hide it. The run is still 'running' in the file, and as this process lives on, reopening
          // would not fail it either, so a smaller write is tried; if that fails too, the next start fails it.
          const message = `the result could not be saved: ${error.message}`;
          try {
            store.finishRun(runId, { status: 'failed', error: message });
          } catch {
            // Nothing more to do here: the event below still tells the user.
          }
          live = null;
          emit('train:finished', { runId, status: 'failed', error: message });
        },
      ),
    };
    return { runId };
  }

  const handlers: { [C in RequestChannel]: (arg: RequestArg<C>) => RequestResult<C> | Promise<RequestResult<C>> } = {
    'projects:recent': () => recent.list(),
    'projects:create': ({ name, task, path }) => describe(createProject(name, task, path)),
    'projects:open': ({ path }) => openProject(path).store.info(),
    'projects:openSample': async () => describe(await openSample()),
    'projects:current': () => (current ? describe(current) : null),
    'projects:setTask': ({ task }) => project().store.setTask(task),
    'projects:setPairColumn': ({ column }) => project().store.setPairColumn(column ?? null),

    'import:preview': ({ path, options }) => previewSource(path, options),
    'upload:begin': (request) => uploads.begin(request),
    'upload:chunk': (request) => uploads.chunk(request),
    'upload:finish': ({ uploadId }) => uploads.finish(uploadId),
    'import:run': async ({ paths, options }) => {
      try {
        return await importInto(project().store, paths, options, (p) => emit('import:progress', { file: p.file, done: p.done, total: p.total }));
      } finally {
        // Uploaded copies have served their purpose once imported (or refused): the project holds the text.
        uploads.removeImported(paths);
      }
    },

    'labels:list': () => labelsOffLoop(project().store, opts.heavyReadsInThreadFrom),
    'labels:add': ({ name, description, colour }) => project().store.addLabel(name, { description, colour }),
    'labels:rename': ({ from, to }) => project().store.renameLabel(from, to),
    'labels:merge': ({ from, into }) => project().store.mergeLabels(from, into),
    'labels:delete': ({ name }) => project().store.deleteLabel(name),
    'labels:describe': ({ name, description }) => project().store.describeLabel(name, description),
    'labels:lastChange': () => project().store.lastLabelChange(),
    'labels:renames': () => project().store.labelRenames(),
    'labels:undo': () => {
      const { store } = project();
      return { ...store.undoLabelChange(), next: store.lastLabelChange() };
    },

    'documents:query': (query) => project().store.queryDocuments(query),
    'documents:setLabels': ({ documentId, labels }) => {
      const doc = project().store.setDocumentLabels(documentId, labels, author());
      return { documentId: doc.id, labels: doc.labels };
    },

    'suggest:next': ({ count, measure }) => labelNext(project().store, (modelDir, texts) => predictions.predict(modelDir, texts), { count, measure }),
    'review:imbalance': () => reviewOffLoop(project().store, opts.heavyReadsInThreadFrom),

    'strategies:search': ({ settings }) => searchStrategies(settings),
    'labels:issues': () => checkLabels(),
    'analysis:cancel': () => {
      searching?.cancel();
      return { cancelled: searching !== null };
    },

    'train:start': ({ settings }) => startRun(settings),
    'train:estimate': ({ settings }) => estimateFineTuning(settings),
    'train:resume': ({ runId }) => resumeRun(runId),
    'runs:checkpoint': ({ runId }) => {
      const kept = checkpointDirOf(runId);
      return kept ? { epoch: checkpointEpoch(kept.dir)!, epochs: kept.settings.fineTune?.epochs ?? DEFAULT_FINE_TUNE_EPOCHS } : null;
    },
    'train:cancel': ({ runId }) => {
      if (live?.state.runId !== runId) return { cancelled: false };
      live.job.cancel();
      return { cancelled: true };
    },
    'train:active': () => (live ? { ...structuredClone(live.state), workerPid: live.job.pid ?? null } : null),
    'runs:list': () => project().store.listRuns(),
    'runs:history': ({ runId }) => project().store.runHistory(runId),
    'runs:metrics': ({ runId }) => project().store.runMetrics(runId),
    'runs:predictions': ({ runId, ...filter }) => project().store.runPredictions(runId, filter),

    'predict:texts': ({ runId, texts, pairs }) => {
      if (pairs && pairs.length !== texts.length) throw new ArgumentError(`predict:texts: ${texts.length} texts but ${pairs.length} second texts`);
      return predictions.predict(modelDirOf(runId), texts, pairs).then((rows) => (pairs ? rows.map((row, i) => ({ ...row, pair: pairs[i] })) : rows));
    },
    'predict:explain': async ({ runId, text, pair }) => {
      const modelDir = modelDirOf(runId);
      const { task } = project().store.runMetrics(runId);
      if (pair !== undefined) {
        const [row] = await predictions.predict(modelDir, [text], [pair]);
        return explainPair(task, { ...row, pair }, (texts, pairs) => predictions.predict(modelDir, texts, pairs));
      }
      const [row] = await predictions.predict(modelDir, [text]);
      return (await explainPredictions(task, [row], (texts) => predictions.predict(modelDir, texts)))[0];
    },
    'predict:file': ({ runId, path, options }) => predictFile(runId, path, options),
    'export:onnx': async ({ runId, outDir, quantize }) => {
      const open = project();
      const name = `${safeFileName(basename(open.path, extname(open.path)))} run ${runId} onnx`;
      const target = outDir ? resolve(outDir) : freePath(join(dataDir, 'exports'), name);
      const modelDir = modelDirOf(runId);
      const onProgress = (message: string) => emit('export:progress', { runId, message });
      // A token run's export is a token classifier: its parity with the app is checked by the test suite, not here.
      const checkTexts = open.store.info().task === 'token' ? [] : open.store.runPredictions(runId).map((row) => row.text).filter((text) => text !== '').slice(0, EXPORT_CHECK_DOCUMENTS);
      // The app keeps a run's metrics in the project, not in a metrics.json beside the model: hand them to the card.
      const exported = await predictions.exportOnnx({ modelDir, outDir: target, quantize, metrics: open.store.runMetrics(runId), checkTexts }, onProgress);
      exportedTo.set(runId, exported.outDir);
      return exported;
    },
    'export:zip': ({ runId }) => {
      const folder = exportedTo.get(runId);
      if (!folder || !existsSync(folder)) throw new DownloadError(`Run ${runId} has no ONNX export to download yet; export it first.`);
      return downloads.offerFolder(folder, basename(folder));
    },
    'download:chunk': (request) => downloads.chunk(request),
    ...syntheticHandlers(() => project().store, author),
    ...tokenHandlers(() => project().store, author, tagger, (runId) => modelDirOf(runId)),
    'settings:get': () => installation.read(),
    'settings:setAuthor': ({ author: name }) => installation.setAuthor(name),
    'job:export': async ({ settings, baseModel }) => {
      const open = project();
      const depth = settings.depth && settings.depth !== 'head' && settings.depth !== 'contrastive' ? settings.depth : 'full';
      const job = projectJob(open.store, { ...DEFAULT_TRAIN_SETTINGS, ...settings, depth }, { cacheFile });
      const target = freePath(join(dataDir, 'exports'), `${safeFileName(basename(open.path, extname(open.path)))} job`);
      // The job template sits beside the sample in the resources folder (the repository's, or the packaged app's).
      const templateDir = join(dirname(dirname(opts.samplePath)), 'job');
      const { settings: written } = await exportJob({ ...job, modelDir: '' }, target, baseModel ?? DEFAULT_JOB_MODEL, templateDir);
      return { path: target, ...written.split };
    },
    'audit:save': async ({ runId, withText }) => {
      const open = project();
      mkdirSync(join(dataDir, 'exports'), { recursive: true });
      const target = freePath(join(dataDir, 'exports'), `${safeFileName(basename(open.path, extname(open.path)))} run ${runId} audit.zip`);
      // The run's ONNX exports made from the app (exports/<project> run N onnx, and its numbered copies) are hashed too.
      const exportPrefix = `${safeFileName(basename(open.path, extname(open.path)))} run ${runId} onnx`;
      const exportsDir = join(dataDir, 'exports');
      const exportDirs = readdirSync(exportsDir).filter((name) => name === exportPrefix || name.startsWith(`${exportPrefix} (`)).map((name) => join(exportsDir, name));
      const pack = await buildAuditPack(open.store, runId, { withText: withText ?? false, verifyHint: `npx finetune audit verify "${basename(target)}"`, exportDirs });
      await writeFile(target, pack.bytes);
      return { path: target, files: pack.files, documents: pack.documents, download: downloads.offer(target, basename(target)) };
    },
  };

  /** Predictions for every document of a file (read with the import parsers), and the same as CSV. */
  async function predictFile(runId: number, path: string, options: ImportOptions) {
    // A pair project's file has the second texts in the project's pair column.
    const pairColumn = project().store.info().pairColumn;
    const texts: string[] = [];
    const pairs: string[] = [];
    const problems: string[] = [];
    for await (const event of readSources([path], options)) {
      if (event.kind === 'record') {
        const pair = pairColumn ? String(event.record.metadata[pairColumn] ?? '').trim() : '';
        if (pairColumn && !pair) {
          problems.push(`${event.record.sourceRef}: no second text in column "${pairColumn}"`);
          continue;
        }
        texts.push(event.record.text);
        pairs.push(pair);
      } else if (event.kind === 'issue' && event.issue.status === 'failed') problems.push(formatIssue(event.issue));
    }
    if (texts.length === 0) {
      throw new TaxonomyError(`${path}: no documents to predict${problems.length ? ` (${problems.slice(0, 3).join('; ')})` : ''}.`);
    }
    const rows = await predictions.predict(modelDirOf(runId), texts, pairColumn ? pairs : undefined);
    if (pairColumn) rows.forEach((row, i) => (row.pair = pairs[i]));
    return { rows, csv: predictionsToCsv(rows, project().store.runMetrics(runId).labels) };
  }

  function modelDirOf(runId: number): string {
    const dir = project().store.runModelDir(runId);
    if (!dir) throw new RunError(`Run ${runId} has no trained model (it did not complete).`);
    if (!existsSync(dir)) throw new RunError(`${dir}: the model of run ${runId} is missing from disk.`);
    return dir;
  }

  return {
    async handle(channel, arg) {
      const checked = checkArgument(channel, arg);
      // An import holds the project's write transaction across awaits (a failed import leaves nothing behind); a
      // write on the same connection would join it and be rolled back with it, so writes wait for the import.
      if (importing && writesToProject(channel)) {
        throw new BusyError(`An import into ${current?.path ?? 'the project'} is still running: wait for it to finish, then try again.`);
      }
      return (await (handlers[channel] as (a: typeof checked) => unknown)(checked)) as RequestResult<typeof channel>;
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      searching?.cancel();
      uploads.abortAll();
      downloads.dropAll();
      if (live) {
        live.job.cancel();
        await live.recorded;
      }
      await importFinished();
      predictions.close();
      current?.store.close();
      current = null;
      listeners.clear();
    },
  };
}
