// `finetune train` and `finetune predict` as a user runs them: real child processes on files made here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { toCsv } from '../shared/csv.js';
import type { StrategySearchReport } from '../shared/domain.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-train-predict-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');

function finetune(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, FINETUNE_DEBUG: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const billing = ['refund my card payment', 'the invoice total is wrong', 'charged twice this month', 'update the billing address', 'cancel my subscription renewal', 'send the receipt for March', 'the payment failed again', 'why was I billed extra', 'change my plan price', 'refund the late fee'];
const bugs = ['the app crashes on start', 'login button does nothing', 'page is blank after update', 'error 500 when saving', 'search returns nothing', 'export freezes the window', 'dark mode breaks the menu', 'upload stalls at 99 percent', 'notifications never arrive', 'the sync loses my edits'];

test('train refuses one-class data and impossible fractions up front, naming the file and the class', async () => {
  writeFileSync(join(dir, 'one.csv'), toCsv(['text', 'label'], billing.map((t) => [t, 'billing'])));
  const one = await finetune('train', '--data', 'one.csv', '--out', 'run-one');
  assert.equal(one.code, 1, one.stderr);
  assert.match(one.stderr, /^finetune: one\.csv: training needs labeled documents of at least two classes; found "billing" with 10 documents\./m);
  mkdirSync(join(dir, 'one-folder', 'billing'), { recursive: true });
  billing.forEach((text, i) => writeFileSync(join(dir, 'one-folder', 'billing', `${i}.txt`), text));
  const folder = await finetune('train', '--data', 'one-folder', '--out', 'run-one');
  assert.equal(folder.code, 1, folder.stderr);
  assert.match(folder.stderr, /one-folder: .* found "billing" with 10 documents\. Next: each subfolder is a class: add a subfolder with documents of another class\./);

  const project = join(dir, 'one.ftproj');
  const store = ProjectStore.create(project, { name: 'one', task: 'single_label' });
  store.addDocuments(billing.map((text) => ({ text, labels: ['billing'], sourceFile: 'typed' })), 'manual');
  store.close();
  const fromProject = await finetune('train', '--project', 'one.ftproj', '--out', 'run-one');
  assert.equal(fromProject.code, 1, fromProject.stderr);
  assert.match(fromProject.stderr, /one\.ftproj: training needs labeled documents of at least two classes/);
  const reopened = ProjectStore.open(project);
  assert.equal(reopened.listRuns().length, 0, 'no failed run is recorded for a refusal');
  reopened.close();

  const fractions = await finetune('train', '--data', 'one.csv', '--head', 'mlp', '--val-fraction', '0.6', '--test-fraction', '0.5', '--out', 'run-one');
  assert.equal(fractions.code, 2);
  assert.match(fractions.stderr, /--val-fraction 0\.6 and --test-fraction 0\.5 hold out 110% of the documents, leaving none for training/);
});

test('predict takes the run folder, names each prediction\'s row, and says which rows it could not read', async () => {
  const rows = [...billing.map((t) => [t, 'billing']), ...bugs.map((t) => [t, 'bug']), ['bills|bugs', 'billing|bug']];
  writeFileSync(join(dir, 'train.csv'), toCsv(['text', 'label'], rows));
  const trained = await finetune('train', '--data', 'train.csv', '--epochs', '3', '--test-fraction', '0.3', '--cache', join(dir, 'cache.sqlite'), '--out', 'run');
  assert.equal(trained.code, 0, trained.stderr);
  // A label cell holding two labels in a single-label run is worth a hint.
  assert.match(trained.stderr, /note: 1 label contains a separator \("billing\|bug"\); if a cell holds several labels, use --multi-label/);

  writeFileSync(join(dir, 'new.csv'), 'text\n"my invoice is wrong"\n""\n"the app crashes"\n');
  const predicted = await finetune('predict', '--model', 'run', '--data', 'new.csv', '--out', 'preds.csv');
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.match(predicted.stderr, /skipped new\.csv:2: empty text/);
  assert.match(predicted.stdout, /Predicted 2 documents .* wrote preds\.csv\. 1 item was not read \(listed above\); the "source" column names each prediction's row or file\./);
  const lines = readFileSync(join(dir, 'preds.csv'), 'utf8').trim().split(/\r?\n/);
  assert.match(lines[0], /^source,text,predicted,p_billing,p_bug/);
  assert.deepEqual(lines.slice(1).map((line) => line.split(',').slice(0, 2)), [['1', 'my invoice is wrong'], ['3', 'the app crashes']]);

  const notModel = await finetune('predict', '--model', '.', '--data', 'new.csv', '--out', 'x.csv');
  assert.equal(notModel.code, 2);
  assert.match(notModel.stderr, /^finetune: \.: not a model folder \(no manifest\.json\)\. Give DIR\/model from finetune train/m);
  const quantized = await finetune('predict', '--model', 'run', '--quantized', '--data', 'new.csv', '--out', 'x.csv');
  assert.equal(quantized.code, 2, 'an option that cannot apply is not silently ignored');
  assert.match(quantized.stderr, /--quantized runs the int8 model of an export folder, and run\/model is a training model folder/);
  // --explain: each prediction says which of its words moved it, scored again without each of them.
  const explained = await finetune('predict', '--model', 'run', '--data', 'new.csv', '--explain', '--out', 'why.csv');
  assert.equal(explained.code, 0, explained.stderr);
  assert.match(explained.stdout, /The "why" column: Highlighted words are those whose removal most lowers the model's lead/);
  const why = parse(readFileSync(join(dir, 'why.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
  assert.equal(why.length, 2);
  for (const row of why) {
    assert.match(row.why, new RegExp(`^towards ${row.predicted} \\(over (billing|bug)\\): `));
    const named = [...row.why.matchAll(/"([^"]+)" [+-]?\d+ pts/g)].map((m) => m[1]);
    assert.ok(named.length > 0 && named.every((word) => row.text.split(' ').includes(word)), `${row.why} names words of "${row.text}"`);
  }
  writeFileSync(join(dir, 'empty.csv'), '');
  const empty = await finetune('predict', '--model', 'run/model', '--data', 'empty.csv', '--out', 'x.csv');
  assert.equal(empty.code, 1, 'bad data is a failure (1), as for import, not a usage error');
  assert.match(empty.stderr, /failed empty\.csv: empty file \(0 bytes\)\nfinetune: empty\.csv: no documents to predict\./);
});

test('report writes the run as one self-contained HTML file, and a PDF through the local Chromium', async (t) => {
  const metrics = JSON.parse(readFileSync(join(dir, 'run', 'metrics.json'), 'utf8'));
  const html = readFileSync(join(dir, 'run', 'report.html'), 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.ok(!/<script|src="http|href="http/.test(html), 'no scripts and nothing fetched');
  for (const label of metrics.labels) assert.match(html, new RegExp(`<th scope="row">${label}</th><td>\\d+%</td>`));
  assert.match(html, /<svg[^>]+aria-label="Confusion matrix/);
  assert.match(html, new RegExp(`split seed ${metrics.strategy.seed}`));

  const refused = await finetune('report', '--run', '.', '--out', 'r.html');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /\.: no metrics\.json there\. Give the --out folder of finetune train, or --project P --run N\./);
  if (!existsSync('/usr/bin/chromium')) return t.skip('no /usr/bin/chromium to print the PDF (.ci/run installs Debian\'s chromium)');
  const made = await finetune('report', '--run', 'run', '--out', 'r.html', '--pdf', 'r.pdf');
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /Wrote r\.html\.\nWrote r\.pdf\./);
  assert.equal(readFileSync(join(dir, 'r.pdf')).subarray(0, 5).toString(), '%PDF-');
});

test('strategies measures every candidate on the training documents: a table, or --json with the documented shape', async () => {
  const rows = [...billing.map((t) => [t, 'billing']), ...bugs.map((t) => [t, 'bug']), ...billing.map((t) => [`${t} please`, 'billing']), ...bugs.map((t) => [`${t} again`, 'bug'])];
  writeFileSync(join(dir, 'both.csv'), toCsv(['text', 'label'], rows));
  const json = await finetune('strategies', '--data', 'both.csv', '--json', '--repeats', '1', '--cache', join(dir, 'cache.sqlite'));
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as StrategySearchReport;
  assert.ok(report.candidates.length >= 2);
  for (const c of report.candidates) {
    assert.equal(typeof c.name, 'string');
    assert.ok(c.settings.strategy && c.settings.sampling && ['argmax', 'tuned'].includes(c.settings.decision), JSON.stringify(c.settings));
    for (const key of ['mean', 'low', 'high'] as const) assert.equal(typeof c.f1_macro[key], 'number');
    assert.deepEqual(Object.keys(c.per_class).sort(), ['billing', 'bug']);
  }
  assert.ok(report.candidates.some((c) => c.name === report.pick.name) && report.pick.reason.length > 20);
  assert.ok(report.documents < rows.length, 'the test split is set aside: the search sees the training documents only');
  const table = await finetune('strategies', '--data', 'both.csv', '--repeats', '1', '--cache', join(dir, 'cache.sqlite'));
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^5-fold cross-validation on \d+ training documents/m);
  assert.match(table.stdout, /^→ /m, 'the pick is marked');
  assert.match(table.stdout, /^Pick: /m);
});
