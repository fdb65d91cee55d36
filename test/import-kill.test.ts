// A process killed in the middle of an import leaves the project exactly as it was before the import.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

test('SIGKILL at any moment of project creation leaves no project or a whole one, never a broken file', async () => {
  const storeModule = pathToFileURL(join(import.meta.dirname, '..', 'electron', 'backend', 'store', 'project-store.ts')).href;
  const outcomes = { absent: 0, whole: 0 };
  for (let trial = 0; trial < 12; trial++) {
    const project = join(dir, `create-${trial}.ftproj`);
    const script = `const { ProjectStore } = await import(${JSON.stringify(storeModule)}); process.send?.('loaded'); ProjectStore.create(${JSON.stringify(project)}, { name: 'created', task: 'single_label' }).close(); process.send?.('done');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    // Killed from 0 to ~6 ms after the store module loaded: before, during and after the creation itself.
    await new Promise((resolve) => setTimeout(resolve, trial % 7));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    if (!existsSync(project)) {
      outcomes.absent++;
      continue;
    }
    const store = ProjectStore.open(project);
    assert.equal(store.info().name, 'created', `trial ${trial}: a project that exists is complete`);
    store.close();
    outcomes.whole++;
  }
  // Hidden drafts of killed creations are the only leftovers, and the next creation in the folder is not hindered.
  const again = ProjectStore.create(join(dir, 'create-0-again.ftproj'), { name: 'again', task: 'single_label' });
  again.close();
  assert.equal(outcomes.absent + outcomes.whole, 12);
});

test('an empty (0-byte) file is no project: opening it says so, importing into it creates the project there', async () => {
  const empty = join(dir, 'empty.ftproj');
  writeFileSync(empty, '');
  assert.throws(() => ProjectStore.open(empty), /empty\.ftproj: the file is empty \(0 bytes\), so it is not a project yet/);
  const csv = join(dir, 'two.csv');
  writeFileSync(csv, 'text,label\nhello,a\nbye,b\n');
  const child = spawn(process.execPath, [bin, 'import', '--project', empty, '--data', csv, '--label-col', 'label'], { stdio: 'pipe' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  const store = ProjectStore.open(empty);
  assert.equal(store.queryDocuments({ limit: 5 }).total, 2);
  store.close();
});

test('a new project in a missing folder names the folder', () => {
  const missing = join(dir, 'no-such-folder');
  assert.throws(() => ProjectStore.create(join(missing, 'p.ftproj'), { name: 'p', task: 'single_label' }), (error: Error) => error.message.includes(`the folder ${missing} is missing or read-only`));
});

test('a new project in a read-only folder names the folder', { skip: process.getuid?.() === 0 ? 'running as root, which may write to read-only folders, so the refusal cannot be seen' : false }, () => {
  const locked = join(dir, 'locked');
  mkdirSync(locked, { mode: 0o500 });
  assert.throws(() => ProjectStore.create(join(locked, 'p.ftproj'), { name: 'p', task: 'single_label' }), (error: Error) => error.message.includes(`the folder ${locked} is missing or read-only`));
});
