// The peers the bench measures the product against, in the same run and on the same data: scikit-learn's balanced
// logistic regression on the product's own features (the same cached embedding + TF-IDF, written to a folder by
// the product's featurize stage). Debian's python3-sklearn is installed when missing (the bench needs root or a
// machine that has it; tests never depend on it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TRAIN_SETTINGS } from '../shared/domain.js';
import { featurize } from '../electron/backend/training/featurize.js';
import type { TrainJob } from '../electron/backend/training/job.js';
import { DEFAULT_LEXICAL_OPTIONS } from '../electron/backend/training/lexical.js';
import { prepare } from '../electron/backend/training/prepare.js';
import { ProgressReporter } from '../electron/backend/training/progress.js';
import { effectiveSettings } from '../electron/backend/training/trainer.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

/** Makes sure Debian's Python has the given modules (apt-get install when missing); returns why not, or null. */
export function ensurePythonModules(modules: string[], packages: string[]): string | null {
  const check = () => spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' }).status === 0;
  if (check()) return null;
  const install = spawnSync('sh', ['-c', `apt-get install -y -qq ${packages.join(' ')} >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq ${packages.join(' ')} >/dev/null 2>&1)`], { encoding: 'utf8' });
  return check() ? null : `could not install ${packages.join(', ')} (${install.stderr?.trim() || `exit ${install.status}`})`;
}

export interface PeerResult {
  model: string;
  f1_macro: number;
  per_class: Record<string, number>;
  fit_seconds: number;
}

/** The job's features exactly as the product computes them, written for the Python peer; returns the folder. */
export async function writeFeatures(job: TrainJob, dir: string): Promise<string> {
  const settings = effectiveSettings(job.settings);
  const data = prepare({ ...job, settings });
  const progress = new ProgressReporter(() => {});
  const f = await featurize(job, data, settings.lexical === false ? null : DEFAULT_LEXICAL_OPTIONS, progress);
  progress.stop();
  mkdirSync(dir, { recursive: true });
  const write = (name: string, array: Float32Array | Int32Array) => writeFileSync(path.join(dir, name), Buffer.from(array.buffer, array.byteOffset, array.byteLength));
  write('dense.f32', f.features.dense);
  const lexical = f.features.lexical;
  if (lexical) {
    write('rowptr.i32', lexical.rowPtr);
    write('cols.i32', lexical.cols);
    write('vals.f32', lexical.values);
  }
  const y = f.example.map((i) => data.classesOf[i][0]);
  writeFileSync(
    path.join(dir, 'meta.json'),
    JSON.stringify({ n: f.features.n, dim: f.encoder.dim, lexical: lexical?.nCols ?? 0, labels: job.labels, y, train: [...f.parts.train, ...f.parts.val], test: f.parts.test }),
  );
  return dir;
}

/** scikit-learn's LogisticRegression(class_weight='balanced', C) on the job's features (single-label jobs). */
export async function sklearnBalancedLogistic(job: TrainJob, c = 1): Promise<PeerResult | { skipped: string }> {
  if (job.task !== 'single_label') return { skipped: 'the peer runs single-label jobs' };
  const missing = ensurePythonModules(['sklearn', 'scipy', 'numpy'], ['python3-sklearn']);
  if (missing) return { skipped: missing };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'finetune-peer-'));
  try {
    await writeFeatures({ ...job, settings: { ...DEFAULT_TRAIN_SETTINGS, ...job.settings } }, dir);
    const run = spawnSync(PYTHON, [path.join(here, 'peers', 'sklearn_linear.py'), dir, String(c)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (run.status !== 0) throw new Error(`sklearn peer failed: ${run.stderr}`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as PeerResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
