// The audit pack end to end: a real project trained through the CLI, `finetune audit` writing the archive, the
// manifest covering every file, `audit verify` passing on the pack and naming the file that was changed afterwards.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import JSZip from 'jszip';
import { toCsv } from '../shared/csv.js';
import { createRng, shuffleInPlace } from '../shared/random.js';
import { loadSpamAssassin } from './fixtures/corpora.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'finetune-audit-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');
const finetune = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [bin, ...args], { cwd: dir, maxBuffer: 1 << 26 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })),
  );

it('writes an audit pack of a run that verifies, lists documents by hash without text, and names a tampered file', async () => {
  const mail = shuffleInPlace([...loadSpamAssassin().train], createRng(4)).slice(0, 180);
  writeFileSync(join(dir, 'mail.csv'), toCsv(['text', 'label'], mail.map((e) => [e.text.slice(0, 800), e.label])));
  assert.equal((await finetune('import', '--project', 'p.ftproj', '--data', 'mail.csv', '--text-col', 'text', '--label-col', 'label')).code, 0);
  const trained = await finetune('train', '--project', 'p.ftproj', '--strategy', 'weighted', '--out', 'run', '--cache', join(dir, 'cache.sqlite'));
  assert.equal(trained.code, 0, trained.stderr);

  const written = await finetune('audit', '--project', 'p.ftproj', '--out', 'audit.zip');
  assert.equal(written.code, 0, written.stderr);
  const zip = await JSZip.loadAsync(readFileSync(join(dir, 'audit.zip')));
  const names = Object.keys(zip.files).sort();
  assert.deepEqual(names, ['README.txt', 'annotations.csv', 'documents.csv', 'manifest.json', 'metrics.json', 'model-files.csv', 'report.md', 'settings.json', 'synthetic.csv', 'verdict.txt', 'versions.json']);
  const documents = (await zip.file('documents.csv')!.async('string')).trim().split(/\r?\n/);
  assert.equal(documents[0], 'document_id,content_sha256,split');
  assert.ok(documents.length - 1 >= 170, `${documents.length - 1} documents listed`);
  assert.ok(documents.slice(1).every((line) => /^\d+,[0-9a-f]{64},(train|validation|test)$/.test(line)), 'id, hash and split only: no text');
  const annotations = (await zip.file('annotations.csv')!.async('string')).split(/\r?\n/);
  assert.equal(annotations[0], 'document_id,label,source,author,created_at');
  assert.match(annotations[1], /^\d+,(ham|spam|hard_ham),imported,,\d{4}-/);
  assert.match(await zip.file('report.md')!.async('string'), /^# Training report\n\n\*\*(Reliable|Usable|Not reliable|Too few)/);
  const versions = JSON.parse(await zip.file('versions.json')!.async('string'));
  assert.equal(versions.node, process.version);

  const verified = await finetune('audit', 'verify', 'audit.zip');
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /audit\.zip: all 10 files match the manifest/);

  zip.file('metrics.json', '{"f1_macro": 0.99}');
  zip.file('extra.txt', 'slipped in');
  writeFileSync(join(dir, 'tampered.zip'), await zip.generateAsync({ type: 'nodebuffer' }));
  const tampered = await finetune('audit', 'verify', 'tampered.zip');
  assert.equal(tampered.code, 1);
  assert.match(tampered.stderr, /metrics\.json: changed since the pack was written/);
  assert.match(tampered.stderr, /extra\.txt: added after the pack was written/);

  // With the run's ONNX export named, its files are hashed too.
  assert.equal((await finetune('export', '--model', 'run/model', '--out', 'exported', '--no-verify')).code, 0);
  const withExport = await finetune('audit', '--project', 'p.ftproj', '--out', 'audit-export.zip', '--export', 'exported');
  assert.equal(withExport.code, 0, withExport.stderr);
  const exportFiles = await (await JSZip.loadAsync(readFileSync(join(dir, 'audit-export.zip')))).file('export-files.csv')!.async('string');
  assert.match(exportFiles, /exported,onnx\/model\.onnx,[0-9a-f]{64},\d+/);
  const notExport = await finetune('audit', '--project', 'p.ftproj', '--out', 'x.zip', '--export', 'run');
  assert.equal(notExport.code, 2);
  assert.match(notExport.stderr, /run: not an export folder \(no onnx\/model\.onnx\)/);
});
