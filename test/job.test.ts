// The training job for a GPU machine and its way back, on a real project: `export-job` writes the data with the
// app's split, job.json, train.py, requirements and launch commands; train.py's own checks run where python3-torch
// is (the losses and metrics on known cases, the job's dry run); `import-run` records an output folder in
// train.py's layout as a run whose ONNX model then serves predictions through the app service.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { toCsv } from '../shared/csv.js';
import { createRng, shuffleInPlace } from '../shared/random.js';
import { createAppService } from '../electron/backend/app/service.js';
import { defaultSamplePath } from '../electron/backend/app/resources.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { loadSpamAssassin } from './fixtures/corpora.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'finetune-job-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');
const finetune = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [bin, ...args], { cwd: dir, maxBuffer: 1 << 26 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })),
  );
const torchPython = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

it('export-job writes the data with the app\'s split, every setting, train.py and the launch commands', async (t) => {
  const mail = shuffleInPlace([...loadSpamAssassin().train], createRng(8)).slice(0, 150);
  writeFileSync(join(dir, 'mail.csv'), toCsv(['text', 'label'], mail.map((e) => [e.text.slice(0, 600), e.label])));
  assert.equal((await finetune('import', '--project', 'p.ftproj', '--data', 'mail.csv', '--text-col', 'text', '--label-col', 'label')).code, 0);
  const written = await finetune('export-job', '--project', 'p.ftproj', '--out', 'job', '--strategy', 'focal', '--fine-tune-epochs', '3', '--base-model', 'prajjwal1/bert-tiny');
  assert.equal(written.code, 0, written.stderr);
  assert.match(written.stdout, /Wrote job: data\.jsonl, job\.json, train\.py, requirements\.txt, README\.md \(\d+ train, \d+ validation, \d+ test documents; model prajjwal1\/bert-tiny, loss focal/);
  const job = JSON.parse(readFileSync(join(dir, 'job', 'job.json'), 'utf8'));
  assert.equal(job.format, 'finetune-job-v1');
  assert.deepEqual([job.task, job.loss, job.gamma > 0, job.depth, job.epochs, job.learning_rate], ['single_label', 'focal', true, 'full', 3, 2e-5]);
  assert.deepEqual([...job.labels].sort(), ['ham', 'hard_ham', 'spam']);
  const rows = readFileSync(join(dir, 'job', 'data.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const count = (split: string) => rows.filter((r) => r.split === split).length;
  assert.deepEqual([count('train'), count('val'), count('test')], [job.split.train, job.split.val, job.split.test]);
  assert.ok(rows.every((r) => Number.isInteger(r.id) && r.labels.length === 1 && typeof r.text === 'string'));
  const readme = readFileSync(join(dir, 'job', 'README.md'), 'utf8');
  for (const command of ['accelerate launch train.py --job job.json --output output', 'accelerate launch --multi_gpu --num_processes N', '--num_machines M', 'torchrun --nproc_per_node N']) assert.ok(readme.includes(command), command);
  assert.match(readFileSync(join(dir, 'job', 'requirements.txt'), 'utf8'), /^torch==[\d.]+\ntransformers==[\d.]+\naccelerate==[\d.]+/);

  if (!torchPython) return t.skip('train.py\'s checks need /usr/bin/python3 with torch (Debian python3-torch), which .ci/run installs');
  const selfTest = spawnSync('/usr/bin/python3', ['train.py', '--self-test'], { cwd: join(dir, 'job'), encoding: 'utf8' });
  assert.equal(selfTest.status, 0, selfTest.stderr);
  assert.match(selfTest.stdout, /"self_test": "passed"/);
  const dry = spawnSync('/usr/bin/python3', ['train.py', '--job', 'job.json', '--dry-run'], { cwd: join(dir, 'job'), encoding: 'utf8' });
  assert.equal(dry.status, 0, dry.stderr);
  assert.deepEqual(JSON.parse(dry.stdout).splits, { train: job.split.train, val: job.split.val, test: job.split.test });
});

it('import-run records an output in train.py\'s layout as a run, whose ONNX model then predicts in the app', async () => {
  // An output folder as train.py writes it, made here by the app itself (transformers is not installable on this
  // machine): metrics.json, predictions.csv with document ids, and the ONNX export.
  const trained = await finetune('train', '--project', 'p.ftproj', '--strategy', 'weighted', '--out', 'run', '--cache', join(dir, 'cache.sqlite'));
  assert.equal(trained.code, 0, trained.stderr);
  assert.equal((await finetune('export', '--model', 'run/model', '--out', join('job', 'output', 'export'), '--no-verify')).code, 0);
  copyFileSync(join(dir, 'run', 'metrics.json'), join(dir, 'job', 'output', 'metrics.json'));
  const ids = new Map(readFileSync(join(dir, 'job', 'data.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((r) => [r.text, r.id]));
  const predictions = parse(readFileSync(join(dir, 'run', 'predictions.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const labels = JSON.parse(readFileSync(join(dir, 'run', 'metrics.json'), 'utf8')).labels as string[];
  writeFileSync(join(dir, 'job', 'output', 'predictions.csv'), toCsv(['id', 'text', 'true', 'predicted', ...labels.map((l) => `p_${l}`)],
    predictions.filter((p) => ids.has(p.text)).map((p) => [String(ids.get(p.text)), p.text, p.true, p.predicted, ...labels.map((l) => p[`p_${l}`])])));

  cpSync(join(dir, 'job', 'output'), join(dir, 'broken'), { recursive: true });
  rmSync(join(dir, 'broken', 'metrics.json'));
  const refused = await finetune('import-run', 'broken', '--project', 'p.ftproj', '--job', join('job', 'job.json'));
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /broken\/metrics\.json: missing \(is this the --output folder of train\.py\?\)/);

  const imported = await finetune('import-run', join('job', 'output'), '--project', 'p.ftproj');
  assert.equal(imported.code, 0, imported.stderr);
  const runId = Number(/as run (\d+) of/.exec(imported.stdout)![1]);
  const store = ProjectStore.open(join(dir, 'p.ftproj'));
  try {
    const runs = store.listRuns();
    assert.equal(runs.length, 2, 'the broken output recorded nothing');
    assert.equal(runs.find((r) => r.id === runId)!.status, 'completed');
    assert.ok(store.runPredictions(runId).length > 0);
    assert.equal(store.runModelDir(runId), join(dir, 'job', 'output', 'export'));
  } finally {
    store.close();
  }
  mkdirSync(join(dir, 'data'), { recursive: true });
  const service = createAppService({ dataDir: join(dir, 'data'), samplePath: defaultSamplePath() });
  try {
    await service.handle('projects:open', { path: join(dir, 'p.ftproj') });
    const [row] = await service.handle('predict:texts', { runId, texts: ['Win a FREE prize, click here now'] });
    assert.ok(labels.includes(row.predicted[0]));
    assert.ok(Math.abs(Object.values(row.probabilities).reduce((a, b) => a + b, 0) - 1) < 1e-4);
  } finally {
    await service.close();
  }
});
