// A process killed in the middle of an import leaves the project exactly as it was before the import.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { writeSpamAssassinFolder } from './fixtures/corpora.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-import-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');
const BIG_ROWS = 300_000;

test('SIGKILL during a 300k-row import leaves the earlier documents only, and a sound file', async () => {
  const project = join(dir, 'kill.ftproj');
  const small = join(dir, 'small.csv');
  writeFileSync(small, 'text,label\nfirst ticket,billing\nsecond ticket,bug\nthird ticket,billing\n');
  const first = ProjectStore.create(project, { name: 'kill', task: 'single_label' });
  const before = await first.importSources([small], { labelCol: 'label' });
  assert.equal(before.imported, 3);
  first.close();

  const big = join(dir, 'big.csv');
  const rows = Array.from({ length: BIG_ROWS }, (_, i) => `"ticket number ${i}: the printer on floor ${i % 9} is out of toner again",class_${i % 5}`);
  writeFileSync(big, `text,label\n${rows.join('\n')}\n`);

  const child = spawn(process.execPath, [bin, 'import', '--project', project, '--data', big, '--label-col', 'label'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // Kill once progress says documents are being written (inside the import's transaction).
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    if (/[1-9][\d,]* documents/.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const { signal } = await exited;
  assert.equal(signal, 'SIGKILL', `the import ended before it could be killed; stderr:\n${stderr}`);

  const store = ProjectStore.open(project);
  const page = store.queryDocuments({ limit: 10 });
  assert.equal(page.total, 3);
  assert.deepEqual(page.documents.map((d) => d.text), ['first ticket', 'second ticket', 'third ticket']);
  assert.deepEqual(store.labels().map((l) => [l.name, l.count]), [['billing', 2], ['bug', 1]]);
  store.close();

  const db = new Database(project, { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  assert.equal((db.pragma('foreign_key_check') as unknown[]).length, 0);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM imports').get() as { n: number }).n, 1);
  db.close();
});

test('Ctrl+C (SIGINT) during a folder import of e-mails stops it with exit code 130 and leaves the project as it was', async () => {
  const project = join(dir, 'sigint.ftproj');
  const small = join(dir, 'sigint-small.csv');
  writeFileSync(small, 'text,label\nfirst ticket,billing\nsecond ticket,bug\n');
  const first = ProjectStore.create(project, { name: 'sigint', task: 'single_label' });
  await first.importSources([small], { labelCol: 'label' });
  first.close();
  // E-mails are read and parsed synchronously; the reader must still let the SIGINT handler run.
  const mail = join(dir, 'mail');
  writeSpamAssassinFolder(mail, { perLabel: 1500 });

  const child = spawn(process.execPath, [bin, 'import', '--project', project, '--data', mail], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    if (/importing .*documents/.test(stderr) && !child.killed) child.kill('SIGINT');
  });
  const code = await exited;
  assert.equal(code, 130, `expected the interrupted exit code; stdout:\n${stdout}\nstderr:\n${stderr}`);
  assert.match(stderr, /Import cancelled; .*sigint\.ftproj is unchanged\./);
  const store = ProjectStore.open(project);
  assert.equal(store.queryDocuments({ limit: 10 }).total, 2);
  store.close();
});
