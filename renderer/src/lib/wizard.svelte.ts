// The wizard's state, as a Svelte 5 runes class. Everything that matters lives in the backend; this holds
// only what the screens show, reloaded from the backend on start so a page reload loses nothing.
import type { EpochPoint } from '../../../shared/api.js';
import { withEpochPoint } from '../../../shared/curve.js';
import type { ImbalanceReview, LabelInfo, ProjectInfo, RunSummary, TrainProgress } from '../../../shared/domain.js';
import type { TokenReview } from '../../../shared/tokens.js';
import { api, errorText } from '../api/index.js';

export const STEPS = [
  { id: 'projects', title: 'Project', hint: 'Create or open a project' },
  { id: 'import', title: 'Import', hint: 'Bring in your documents' },
  { id: 'taxonomy', title: 'Labels', hint: 'Decide the categories', tokenTitle: 'Entity types', tokenHint: 'What to find in the text' },
  { id: 'label', title: 'Label & review', hint: 'Check and label documents', tokenTitle: 'Mark words', tokenHint: 'Mark what to find' },
  { id: 'review', title: 'Balance', hint: 'See how classes compare', tokenTitle: 'Balance', tokenHint: 'See how types compare' },
  { id: 'strategy', title: 'Strategy', hint: 'Choose how to train' },
  { id: 'train', title: 'Train', hint: 'Watch the model learn' },
  { id: 'results', title: 'Results', hint: 'How good is it, honestly' },
  { id: 'use', title: 'Use', hint: 'Classify new text', tokenTitle: 'Use', tokenHint: 'Mark new text' },
] as const;

export type StepId = (typeof STEPS)[number]['id'];


export interface Notice {
  kind: 'error' | 'info';
  text: string;
}

function stepFromHash(): StepId {
  const id = location.hash.replace(/^#\/?/, '');
  return STEPS.some((s) => s.id === id) ? (id as StepId) : 'projects';
}

export class Wizard {
  step = $state<StepId>(stepFromHash());
  ready = $state(false);
  current = $state<{ path: string; project: ProjectInfo } | null>(null);
  labels = $state<LabelInfo[]>([]);
  review = $state<ImbalanceReview | null>(null);
  /** Token projects: how the marks on words are spread (their review instead of `review`). */
  tokenReview = $state<TokenReview | null>(null);
  runs = $state<RunSummary[]>([]);
  notice = $state<Notice | null>(null);
  /** The run being trained now (or last trained in this session), with its live progress and learning curve. */
  liveRunId = $state<number | null>(null);
  progress = $state<TrainProgress | null>(null);
  curve = $state<EpochPoint[]>([]);
  /** The run the Results and Use steps look at. */
  selectedRunId = $state<number | null>(null);

  /** The project marks words (entities or tags) rather than labeling whole documents. */
  tokenProject = $derived(this.current?.project.task === 'token');
  documentCount = $derived((this.tokenProject ? this.tokenReview?.documents : this.review?.documents) ?? 0);
  /** Every document is labeled (token projects: every document's marks are finished). */
  allLabeled = $derived(
    this.tokenProject
      ? (this.tokenReview?.annotated ?? 0) > 0 && this.tokenReview!.annotated === this.tokenReview!.documents
      : !!this.review && this.review.labeled > 0 && this.review.unlabeled === 0,
  );
  completedRuns = $derived(this.runs.filter((r) => r.status === 'completed'));
  training = $derived(this.runs.some((r) => r.status === 'running'));
  /** Steps whose work is visibly done, ticked in the sidebar so the user sees where they stand. */
  doneSteps = $derived<StepId[]>(
    [
      ...(this.current ? (['projects'] as const) : []),
      ...(this.documentCount > 0 ? (['import'] as const) : []),
      ...(this.labels.length >= (this.tokenProject ? 1 : 2) ? (['taxonomy'] as const) : []),
      ...(this.allLabeled ? (['label'] as const) : []),
      ...(this.completedRuns.length > 0 ? (['review', 'strategy', 'train', 'results'] as const) : []),
    ],
  );

  constructor() {
    addEventListener('hashchange', () => (this.step = stepFromHash()));
    api.on('train:progress', (p) => this.#onProgress(p));
    api.on('train:finished', (f) => {
      if (f.status === 'completed') this.selectedRunId = f.runId;
      // On the Train step the run's card says it already; elsewhere the user would not see it.
      if (f.status === 'failed' && this.step !== 'train') {
        this.notice = { kind: 'error', text: `Training run ${f.runId} failed: ${f.error ?? 'no reason given'}. Open "Train" to see it.` };
      }
      void this.refreshRuns();
      // Live progress is throttled and can skip epochs; the finished run's stored history has every one.
      if (f.runId === this.liveRunId) void this.#loadHistory(f.runId);
    });
  }

  async #loadHistory(runId: number): Promise<void> {
    const history = await this.attempt(() => api.invoke('runs:history', { runId }));
    if (history?.length && runId === this.liveRunId) this.curve = history;
  }

  /** Steps are history entries, so the browser's Back button goes to the previous step. */
  go(step: StepId): void {
    if (step !== this.step) this.notice = null;
    this.step = step;
    if (location.hash !== `#/${step}`) history.pushState(null, '', `#/${step}`);
  }

  /** Runs a backend call; on failure shows its message in plain words and returns undefined. */
  async attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      this.notice = { kind: 'error', text: errorText(error) };
      return undefined;
    }
  }

  async init(): Promise<void> {
    const current = await this.attempt(() => api.invoke('projects:current', undefined));
    if (current) await this.#loadProject(current);
    this.ready = true;
  }

  async opened(result: { path: string; project: ProjectInfo }): Promise<void> {
    this.notice = null;
    this.curve = [];
    this.progress = null;
    this.liveRunId = null;
    this.selectedRunId = null;
    await this.#loadProject(result);
    this.go(this.documentCount === 0 ? 'import' : 'taxonomy');
  }

  setProject(project: ProjectInfo): void {
    if (this.current) this.current = { ...this.current, project };
  }

  async refreshLabels(): Promise<void> {
    const labels = await this.attempt(() => api.invoke('labels:list', undefined));
    if (labels) this.labels = labels;
  }

  async refreshReview(): Promise<void> {
    if (this.tokenProject) {
      const review = await this.attempt(() => api.invoke('tokens:review', undefined));
      if (review) this.tokenReview = review;
      return;
    }
    const review = await this.attempt(() => api.invoke('review:imbalance', undefined));
    if (review) this.review = review;
  }

  async refreshRuns(): Promise<void> {
    const runs = await this.attempt(() => api.invoke('runs:list', undefined));
    if (!runs) return;
    this.runs = runs;
    const completed = runs.filter((r) => r.status === 'completed');
    if (this.selectedRunId === null || !completed.some((r) => r.id === this.selectedRunId)) {
      this.selectedRunId = completed.length ? Math.max(...completed.map((r) => r.id)) : null;
    }
  }

  /** Labels, counts and the review all change together when documents or labels change. */
  async refreshCounts(): Promise<void> {
    await Promise.all([this.refreshLabels(), this.refreshReview()]);
  }

  async #loadProject(result: { path: string; project: ProjectInfo }): Promise<void> {
    this.current = result;
    await Promise.all([this.refreshCounts(), this.refreshRuns()]);
    await this.#loadActiveRun();
  }

  /** After a reload during training: pick up the live run's progress and curve from the backend. */
  async #loadActiveRun(): Promise<void> {
    const active = await this.attempt(() => api.invoke('train:active', undefined));
    if (active) {
      this.liveRunId = active.runId;
      this.progress = active.progress;
      this.curve = active.history;
      return;
    }
    // No live run: show the latest run's finished curve, so the Train step is not blank after a reload.
    const latest = this.runs.reduce<RunSummary | null>((a, r) => (a && a.id > r.id ? a : r), null);
    if (!latest) return;
    this.liveRunId = latest.id;
    this.curve = [];
    await this.#loadHistory(latest.id);
  }

  /** A run was just started from the Strategy step. */
  async startedRun(runId: number): Promise<void> {
    this.liveRunId = runId;
    this.progress = null;
    this.curve = [];
    await this.refreshRuns();
    this.go('train');
  }

  #onProgress(p: TrainProgress): void {
    if (p.runId !== null && p.runId !== this.liveRunId) {
      this.liveRunId = p.runId;
      this.curve = [];
    }
    this.progress = p;
    this.curve = withEpochPoint(this.curve, p);
  }
}

export const wizard = new Wizard();
