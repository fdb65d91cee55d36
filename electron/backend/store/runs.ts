// Training runs: their settings, status, metrics, split, history and test-set predictions.
import type Database from 'better-sqlite3';
import { uptime } from 'node:os';
import type { EpochPoint } from '../../../shared/api.js';
import type { PredictionRow, RunMetrics, RunStatus, RunSummary, TrainSettings } from '../../../shared/domain.js';
import type { TokenMetrics, TokenResultDocument, TokenRunResults } from '../../../shared/tokens.js';

export interface RunSplit {
  seed: number;
  train: number[];
  val: number[];
  test: number[];
}

export interface RunResult {
  status: Exclude<RunStatus, 'running'>;
  error?: string;
  /** A classifier's metrics, or a token run's (same column; tokenRunResults reads the latter). */
  metrics?: RunMetrics | TokenMetrics;
  split?: RunSplit;
  predictions?: PredictionRow[];
  modelDir?: string;
  history?: EpochPoint[];
}

export interface PredictionFilter {
  trueLabel?: string;
  predictedLabel?: string;
  misclassifiedOnly?: boolean;
}

export class RunError extends Error {
  override name = 'RunError';
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

export function createRun(db: Database.Database, settings: TrainSettings): number {
  const info = db
    .prepare(`INSERT INTO runs (status, settings, started_at, owner_pid) VALUES ('running', ?, ?, ?)`)
    .run(JSON.stringify(settings), new Date().toISOString(), process.pid);
  return Number(info.lastInsertRowid);
}

/** Whether the process that owns a run is still there (signal 0 only checks; EPERM means it exists). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function runRow<K extends string>(db: Database.Database, runId: number, columns: K[]): Record<K, string | null> & { status: RunStatus } {
  const row = db.prepare(`SELECT ${['status', ...columns].join(', ')} FROM runs WHERE id = ?`).get(runId) as
    | (Record<K, string | null> & { status: RunStatus })
    | undefined;
  if (!row) throw new RunError(`No run ${runId} in this project.`);
  return row;
}

export function finishRun(db: Database.Database, runId: number, result: RunResult): void {
  const { status } = runRow(db, runId, []);
  if (status !== 'running') throw new RunError(`Run ${runId} already finished (${status}).`);
  db.transaction(() => {
    db.prepare(
      `UPDATE runs SET status = ?, finished_at = ?, error = ?, metrics = ?, split = ?, model_dir = ?, history = ?
        WHERE id = ?`,
    ).run(
      result.status,
      new Date().toISOString(),
      result.error ?? null,
      json(result.metrics),
      json(result.split),
      result.modelDir ?? null,
      json(result.history),
      runId,
    );
    const insert = db.prepare(
      `INSERT INTO run_predictions (run_id, document_id, text, pair, true_labels, predicted_labels, probabilities)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const p of result.predictions ?? []) {
      insert.run(runId, p.documentId ?? null, p.text, p.pair ?? null, json(p.trueLabels), JSON.stringify(p.predicted), JSON.stringify(p.probabilities));
    }
  })();
}

/**
 * Runs still 'running' whose owning process has ended were cut short by a crash: they become 'failed' with the
 * reason. Runs of a live process (this one, or the app training while the CLI looks) are left alone.
 */
export function failStaleRuns(db: Database.Database, reason: string): number {
  const running = db.prepare(`SELECT id, owner_pid AS ownerPid, started_at AS startedAt FROM runs WHERE status = 'running'`).all() as Array<{
    id: number;
    ownerPid: number | null;
    startedAt: string;
  }>;
  // A run from before the last boot is stale even if its process id has since been given to another process.
  const bootedAt = Date.now() - uptime() * 1000;
  const stale = running
    .filter((r) => r.ownerPid === null || Date.parse(r.startedAt) < bootedAt || !processAlive(r.ownerPid))
    .map((r) => r.id);
  if (stale.length === 0) return 0;
  return db
    .prepare(`UPDATE runs SET status = 'failed', error = ?, finished_at = ? WHERE id IN (SELECT value FROM json_each(?))`)
    .run(reason, new Date().toISOString(), JSON.stringify(stale)).changes;
}

export function listRuns(db: Database.Database): RunSummary[] {
  const rows = db
    .prepare(
      `SELECT id, status, started_at AS startedAt, finished_at AS finishedAt, settings, error,
              COALESCE(json_extract(metrics, '$.f1_macro'), json_extract(metrics, '$.entities.macro.f1'), json_extract(metrics, '$.tokens.f1_macro')) AS f1Macro,
              started_at < COALESCE((SELECT data_changed_at FROM projects ORDER BY id LIMIT 1), '') AS dataChanged
         FROM runs ORDER BY id DESC`,
    )
    .all() as Array<Omit<RunSummary, 'settings' | 'dataChanged'> & { settings: string; dataChanged: number }>;
  return rows.map((r) => ({ ...r, settings: JSON.parse(r.settings) as TrainSettings, dataChanged: r.dataChanged === 1 }));
}

export function runMetrics(db: Database.Database, runId: number): RunMetrics {
  const row = runRow(db, runId, ['metrics']);
  if (row.metrics === null) throw new RunError(`Run ${runId} has no metrics (status: ${row.status}).`);
  return JSON.parse(row.metrics) as RunMetrics;
}

export function tokenRunResults(db: Database.Database, runId: number): TokenRunResults {
  const row = runRow(db, runId, ['metrics']);
  const metrics = row.metrics === null ? null : (JSON.parse(row.metrics) as TokenMetrics);
  if (metrics?.task !== 'token') throw new RunError(`Run ${runId} is not a token run with results (status: ${row.status}).`);
  const documents = (db.prepare('SELECT document_id AS documentId, text, true_labels AS gold, predicted_labels AS predicted FROM run_predictions WHERE run_id = ? ORDER BY id').all(runId) as Array<{ documentId: number | null; text: string; gold: string; predicted: string }>).map(
    (r): TokenResultDocument => ({ documentId: r.documentId, text: r.text, gold: JSON.parse(r.gold) as TokenResultDocument['gold'], predicted: JSON.parse(r.predicted) as TokenResultDocument['predicted'] }),
  );
  return { metrics, documents };
}

export function runSplit(db: Database.Database, runId: number): RunSplit | null {
  const row = runRow(db, runId, ['split']);
  return row.split === null ? null : (JSON.parse(row.split) as RunSplit);
}

export function runModelDir(db: Database.Database, runId: number): string | null {
  return runRow(db, runId, ['model_dir']).model_dir;
}

export function runHistory(db: Database.Database, runId: number): EpochPoint[] {
  const row = runRow(db, runId, ['history']);
  return row.history === null ? [] : (JSON.parse(row.history) as EpochPoint[]);
}

export function runPredictions(db: Database.Database, runId: number, filter: PredictionFilter = {}): PredictionRow[] {
  runRow(db, runId, []);
  const rows = db
    .prepare(
      `SELECT document_id AS documentId, text, pair, true_labels AS trueLabels, predicted_labels AS predicted, probabilities
         FROM run_predictions WHERE run_id = ? ORDER BY id`,
    )
    .all(runId) as Array<{ documentId: number | null; text: string; pair: string | null; trueLabels: string | null; predicted: string; probabilities: string }>;
  const predictions = rows.map((r): PredictionRow => {
    const row: PredictionRow = {
      text: r.text,
      predicted: JSON.parse(r.predicted) as string[],
      probabilities: JSON.parse(r.probabilities) as Record<string, number>,
    };
    if (r.documentId !== null) row.documentId = r.documentId;
    if (r.pair !== null) row.pair = r.pair;
    if (r.trueLabels !== null) row.trueLabels = JSON.parse(r.trueLabels) as string[];
    return row;
  });
  return predictions.filter((p) => {
    const truth = p.trueLabels ?? [];
    if (filter.trueLabel !== undefined && !truth.includes(filter.trueLabel)) return false;
    if (filter.predictedLabel !== undefined && !p.predicted.includes(filter.predictedLabel)) return false;
    if (filter.misclassifiedOnly && sameSet(truth, p.predicted)) return false;
    return true;
  });
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
