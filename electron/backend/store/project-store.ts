// A Finetune project: one SQLite file holding documents, taxonomy, annotations and training runs.
// Owned by one process at a time (the app, the browser host or the CLI); see docs/ARCHITECTURE.md.
import type Database from 'better-sqlite3';
import type { EpochPoint, SyntheticExample } from '../../../shared/api.js';
import type { AnnotationSource, DocumentInfo, DocumentPage, DocumentQuery, ImbalanceReview, ImportOptions, ImportReport, LabelInfo, PredictionRow, ProjectInfo, ProjectTask, RunMetrics, RunSummary, SyntheticMethod, SyntheticStatus, TaskKind, TaxonomyChange, TrainSettings } from '../../../shared/domain.js';
import type { EntitySpan, TokenDocument, TokenDocumentPage, TokenReview, TokenRunResults } from '../../../shared/tokens.js';
import * as tokens from './token-documents.js';
import * as history from './taxonomy-history.js';
import type { LabelRename } from '../../../shared/renames.js';
import { DEFAULT_TEST_FRACTION, reviewProject } from '../review.js';
import { createProjectDatabase, isWritableProject, openProjectDatabase, openProjectSnapshot, openReadConnection, ProjectBusyError, schemaVersion } from './database.js';
import * as documents from './documents.js';
import { addDocuments, importSources, type ImportProgress, type NewDocument } from './importer.js';
import * as runs from './runs.js';
import { auditData, type AuditData } from './audit-data.js';
import * as synthetic from './synthetic.js';
import * as taxonomy from './taxonomy.js';

export { isEmptyFile, ProjectBusyError, ProjectFileError, ProjectVersionError } from './database.js';
export { ImportError, type ImportProgress, type NewDocument } from './importer.js';
export { RunError, type PredictionFilter, type RunResult, type RunSplit } from './runs.js';
export { TaxonomyError } from './taxonomy.js';

/** The reason given to runs found still 'running' when a project is opened: their process ended without finishing them. */
const STALE_RUN_REASON = 'Training stopped unexpectedly (the app or the training process ended before the run finished).';

export class ProjectStore {
  private importing = false;
  /** Serves reads while an import's transaction is open (see `reads`). */
  private importReader: Database.Database | null = null;

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
  ) {}

  /** A new project file. Refuses to overwrite an existing file. */
  static create(file: string, init: { name: string; task: ProjectTask }): ProjectStore {
    const name = init.name.trim();
    if (!name) throw new taxonomy.TaxonomyError('A project needs a name.');
    if (init.task !== 'single_label' && init.task !== 'multi_label' && init.task !== 'token') {
      throw new taxonomy.TaxonomyError(`Unknown task "${String(init.task)}": use single_label, multi_label or token.`);
    }
    const db = createProjectDatabase(file, (draft) => {
      draft.prepare('INSERT INTO projects (name, task, created_at) VALUES (?, ?, ?)').run(name, init.task, new Date().toISOString());
    });
    return new ProjectStore(file, db);
  }

  /** Opens a project, migrating an older file; a file from a newer Finetune is refused (ProjectVersionError), untouched. */
  static open(file: string): ProjectStore {
    const store = new ProjectStore(file, openProjectDatabase(file));
    store.failStaleRuns(STALE_RUN_REASON);
    return store;
  }

  /**
   * For commands that only read (inspect, listings): a writable project opens as usual; a read-only one is read
   * from a copy in memory, so sharing a project read-only does not stop anyone reading it.
   */
  static openForReading(file: string): ProjectStore {
    return isWritableProject(file) ? ProjectStore.open(file) : new ProjectStore(file, openProjectSnapshot(file));
  }

  info(): ProjectInfo {
    const row = this.reads
      .prepare('SELECT id, name, task, encoder, pair_column AS pairColumn, tag_scheme AS tagScheme, created_at AS createdAt FROM projects ORDER BY id LIMIT 1')
      .get() as Omit<ProjectInfo, 'schemaVersion'>;
    return { ...row, schemaVersion: schemaVersion(this.reads) };
  }

  /**
   * The task of a project whose documents carry labels; a token project's documents carry marks on their words
   * instead, and every labels-of-documents operation says so rather than treat them as unlabeled.
   */
  labelTask(): TaskKind {
    const { task } = this.info();
    if (task === 'token') throw new taxonomy.TaxonomyError(`${this.file}: this project marks words (a token task), so its documents have no labels of their own; mark their words instead.`);
    return task;
  }

  setTask(task: TaskKind): ProjectInfo {
    this.write(() => taxonomy.setTask(this.db, task));
    return this.info();
  }

  setEncoder(encoder: string): ProjectInfo {
    this.assertNotImporting();
    if (!encoder.trim()) throw new taxonomy.TaxonomyError('An encoder name cannot be empty.');
    this.db.prepare('UPDATE projects SET encoder = ?').run(encoder.trim());
    return this.info();
  }

  /** Makes this a project of sentence pairs whose second texts are in `column` of the import (null: single texts). */
  setPairColumn(column: string | null): ProjectInfo {
    this.assertNotImporting();
    if (column !== null) {
      const found = this.reads.prepare('SELECT COUNT(*) AS n FROM documents WHERE json_extract(metadata, ?) IS NOT NULL').get(`$."${column.replace(/"/g, '')}"`) as { n: number };
      if (found.n === 0) throw new taxonomy.TaxonomyError(`No document has a column "${column}" to pair with its text; import a file with that column first.`);
    }
    this.db.prepare('UPDATE projects SET pair_column = ?').run(column);
    return this.info();
  }

  close(): void {
    this.closeImportReader();
    if (this.db.open) this.db.close();
  }

  // ---------- documents ----------

  /**
   * Imports files and folders in one transaction: on error, abort or a killed process the project is left as it was.
   * Progress reports bytes of the current file and the documents imported so far.
   */
  async importSources(
    paths: string[],
    options: ImportOptions,
    onEvent?: (e: ImportProgress) => void,
    signal?: AbortSignal,
  ): Promise<ImportReport> {
    this.assertNotImporting();
    const task = this.info().task;
    this.importing = true;
    this.importReader = openReadConnection(this.file);
    try {
      const report = await importSources(this.db, task, paths, options, onEvent, signal);
      return report.imported > 0 ? this.changedData(report) : report;
    } finally {
      this.importing = false;
      this.closeImportReader();
    }
  }

  /**
   * Adds documents written in the app rather than read from files. Same checks as an import; one transaction.
   * (Synthetic examples come only from generateSynthetic, which records their provenance.)
   */
  addDocuments(items: NewDocument[], source: 'manual'): ImportReport {
    this.assertNotImporting();
    const report = addDocuments(this.db, this.labelTask(), items, source);
    return report.imported > 0 ? this.changedData(report) : report;
  }

  queryDocuments(q: DocumentQuery): DocumentPage {
    return documents.queryDocuments(this.reads, q);
  }

  getDocument(documentId: number): DocumentInfo {
    return documents.getDocument(this.reads, documentId);
  }

  /** Sets a document's labels ('manual' annotations for the new ones); single-label projects refuse more than one. */
  setDocumentLabels(documentId: number, labels: string[], author?: string): DocumentInfo {
    return this.write(() => this.changedData(documents.setDocumentLabels(this.db, this.labelTask(), documentId, labels, author ?? null)));
  }

  /**
   * Labeled documents only; predictions never count as labels. Synthetic examples only once accepted, with the ids
   * of the documents they were made from (`parents`), so training can keep them out when a parent is held out.
   */
  /** With a pair column, each example's second text too (pair; undefined where the document has none). */
  trainingExamples(): Array<{ documentId: number; text: string; contentHash: string; labels: string[]; source: AnnotationSource; parents?: number[]; pair?: string }> {
    return synthetic.withReviewedSynthetic(this.reads, documents.trainingExamples(this.reads, this.info().pairColumn));
  }

  // ---------- token projects (logic in ./token-documents.ts) ----------

  tokenDocument(documentId: number): TokenDocument {
    return tokens.tokenDocument(this.reads, documentId);
  }

  queryTokenDocuments(q: tokens.TokenQuery): TokenDocumentPage {
    return tokens.queryTokenDocuments(this.reads, q);
  }

  /** Replaces a document's entity spans; `finished` marks it done or not (absent: as it was). */
  setDocumentSpans(documentId: number, spans: EntitySpan[], author?: string, finished?: boolean): TokenDocument {
    return this.write(() => this.changedData(tokens.setDocumentSpans(this.db, documentId, spans, author ?? null, finished)));
  }

  tokenReview(): TokenReview {
    return tokens.tokenReview(this.reads);
  }

  /** The finished documents of a token project as tagged sentences, grouped by source document. */
  trainingSentences(): tokens.TrainingSentence[] {
    return tokens.trainingSentences(this.reads);
  }

  finishTokenRun(runId: number, result: { metrics: TokenRunResults['metrics']; modelDir: string; documents: TokenRunResults['documents'] }): void {
    this.db.transaction(() => {
      runs.finishRun(this.db, runId, { status: 'completed', modelDir: result.modelDir, metrics: result.metrics });
      const insert = this.db.prepare(`INSERT INTO run_predictions (run_id, document_id, text, true_labels, predicted_labels, probabilities) VALUES (?, ?, ?, ?, ?, '{}')`);
      for (const d of result.documents) insert.run(runId, d.documentId, d.text, JSON.stringify(d.gold), JSON.stringify(d.predicted));
    })();
  }

  tokenRunResults(runId: number): TokenRunResults {
    return runs.tokenRunResults(this.reads, runId);
  }

  // ---------- synthetic minority examples (logic in ./synthetic.ts) ----------

  generateSynthetic(request: { label: string; count: number; seed?: number }): SyntheticExample[] {
    this.assertNotImporting();
    return synthetic.generateSynthetic(this.db, this.labelTask(), request);
  }

  listSynthetic(filter?: { status?: SyntheticStatus; label?: string }): SyntheticExample[] {
    return synthetic.listSynthetic(this.reads, filter);
  }

  reviewSynthetic(documentId: number, status: 'accepted' | 'rejected', text?: string, reviewer?: string): SyntheticExample {
    this.assertNotImporting();
    return this.changedData(synthetic.reviewSynthetic(this.db, documentId, status, text, reviewer));
  }

  /** Accepts or rejects several candidates at once, all or none (one transaction). */
  reviewSyntheticMany(documentIds: number[], status: 'accepted' | 'rejected', reviewer?: string): SyntheticExample[] {
    return this.write(() => this.changedData(documentIds.map((id) => synthetic.reviewSynthetic(this.db, id, status, undefined, reviewer))));
  }

  /** A few real documents of a class to show a language model (they become the parents of what it writes). */
  syntheticPromptDocuments(label: string, count: number, seed?: number): Array<{ id: number; text: string }> {
    return synthetic.promptDocuments(this.reads, label, count, seed);
  }

  /** Pending candidates written by a language model from `parents`; copies of existing documents are dropped. */
  addSyntheticCandidates(label: string, texts: string[], parents: number[], method: SyntheticMethod): SyntheticExample[] {
    this.assertNotImporting();
    return synthetic.addCandidates(this.db, this.labelTask(), label, texts, parents, method);
  }

  // ---------- taxonomy ----------

  labels(): LabelInfo[] {
    return taxonomy.listLabels(this.reads);
  }

  addLabel(name: string, opts?: { description?: string; colour?: string }): LabelInfo[] {
    return this.write(() => taxonomy.addLabel(this.db, name, opts));
  }

  renameLabel(from: string, to: string): LabelInfo[] {
    return this.write(() => taxonomy.renameLabel(this.db, from, to));
  }

  mergeLabels(from: string, into: string): LabelInfo[] {
    return this.write(() => this.changedData(taxonomy.mergeLabels(this.db, from, into)));
  }

  deleteLabel(name: string): { labels: LabelInfo[]; annotationsRemoved: number; documentsLeftUnlabeled: number } {
    return this.write(() => this.changedData(taxonomy.deleteLabel(this.db, name)));
  }

  /** Renames not undone, oldest first. */
  labelRenames(): LabelRename[] {
    return history.renames(this.reads);
  }

  /** The newest rename, merge or delete that can be undone, or null. */
  lastLabelChange(): TaxonomyChange | null {
    return history.lastChange(this.reads);
  }

  /** Undoes the newest rename, merge or delete; returns what was undone and the labels now. */
  undoLabelChange(): { undone: TaxonomyChange; labels: LabelInfo[] } {
    return this.write(() => {
      const undone = history.undoLast(this.db);
      return { undone: undone.kind === 'rename' ? undone : this.changedData(undone), labels: taxonomy.listLabels(this.db) };
    });
  }

  describeLabel(name: string, description: string): LabelInfo[] {
    return this.write(() => taxonomy.describeLabel(this.db, name, description));
  }

  /** At least as many as the documents, from the index alone (instant at any size): the highest document id. */
  documentCountBound(): number {
    return (this.reads.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM documents').get() as { n: number }).n;
  }

  review(testFraction = DEFAULT_TEST_FRACTION): ImbalanceReview {
    return reviewProject(this.reads, this.labelTask(), testFraction);
  }

  // ---------- runs ----------

  createRun(settings: TrainSettings): number {
    this.assertNotImporting();
    return runs.createRun(this.db, settings);
  }

  finishRun(runId: number, result: runs.RunResult): void {
    runs.finishRun(this.db, runId, result);
  }

  /** Runs left 'running' (their process died) become 'failed' with the reason; returns how many. */
  failStaleRuns(reason: string): number {
    return runs.failStaleRuns(this.db, reason);
  }

  listRuns(): RunSummary[] {
    return runs.listRuns(this.reads);
  }

  runMetrics(runId: number): RunMetrics {
    return runs.runMetrics(this.reads, runId);
  }

  runPredictions(runId: number, filter?: runs.PredictionFilter): PredictionRow[] {
    return runs.runPredictions(this.reads, runId, filter);
  }

  runModelDir(runId: number): string | null {
    return runs.runModelDir(this.reads, runId);
  }

  runHistory(runId: number): EpochPoint[] {
    return runs.runHistory(this.reads, runId);
  }

  /** The data behind a run, for an audit pack (audit-data.ts). */
  auditData(split: runs.RunSplit): AuditData {
    return auditData(this.reads, split);
  }

  runSplit(runId: number): runs.RunSplit | null {
    return runs.runSplit(this.reads, runId);
  }

  /**
   * The connection reads go through: the project's own, except while an import's transaction is open on it, when a
   * read-only connection answers with what is committed (the import's rows appear when it commits, all at once).
   */
  private get reads(): Database.Database {
    return this.importReader ?? this.db;
  }

  /** Records that the labeled data changed now (runs finished before say so); passes `result` through. */
  private changedData<T>(result: T): T {
    this.db.prepare('UPDATE projects SET data_changed_at = ?').run(new Date().toISOString());
    return result;
  }

  private closeImportReader(): void {
    if (this.importReader?.open) this.importReader.close();
    this.importReader = null;
  }

  private assertNotImporting(): void {
    if (this.importing) throw new Error(`${this.file}: an import is in progress; wait for it to finish.`);
  }

  /**
   * A change that reads before it writes (is the name free? which colour is next? does a document carry two
   * labels?) holds the write lock from its first read, so another process's import cannot slip in between.
   */
  private write<T>(change: () => T): T {
    this.assertNotImporting();
    try {
      return this.db.transaction(change).immediate();
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      throw new ProjectBusyError(`${this.file}: the project is busy: another Finetune window or command is writing to it (an import, perhaps). Try again when it has finished.`);
    }
  }
}
