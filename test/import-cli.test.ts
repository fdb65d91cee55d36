// The real `finetune` command line, run as a child process on files made here.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ImbalanceReview } from '../shared/domain.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-import-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function finetune(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, FINETUNE_DEBUG: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The review read in-process (fewer process starts); `finetune inspect` itself is run where its output matters. */
function review(project: string): ImbalanceReview {
  const store = ProjectStore.open(join(dir, project));
  try {
    return store.review();
  } finally {
    store.close();
  }
}

const countsOf = (r: ImbalanceReview) => Object.fromEntries(r.classes.map((c) => [c.label, c.count]));

describe('finetune import (CSV)', () => {
  const csv = [
    'id,body,category',
    '1,"Refund for order 12, please",billing',
    '2,"The app crashes when I press ""save""",bug',
    '3,"Refund for order 12, please",billing',
    '4,"Refund for order 12, please",bug',
    '5,Where is my invoice?,billing',
    '6,Can I pay by card?,',
    '7,,bug',
    '8,"A note\nover two lines",bug',
  ].join('\n');
  writeFileSync(join(dir, 'tickets.csv'), csv);

  test('imports, reports skipped duplicates and empty texts, and leaves empty label cells unlabeled', async () => {
    const result = await finetune('import', '--project', 'tickets.ftproj', '--data', 'tickets.csv', '--text-col', 'body', '--label-col', 'category');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Imported 5 documents from tickets\.csv into tickets\.ftproj/);
    assert.match(result.stdout, /imported: 5 {2}skipped: 3 {2}failed: 0\n {2}skipped: 2 exact copies of other documents, 1 empty text\n/);
    assert.match(result.stdout, /new labels: billing, bug/);
    assert.match(result.stdout, /skipped tickets\.csv:3: same text as row 1\n/);
    assert.match(result.stdout, /skipped tickets\.csv:4: same text as row 1 but with different labels \(bug here, billing there\)/);
    assert.match(result.stdout, /skipped tickets\.csv:7: empty text/);
    assert.match(result.stderr, /importing tickets\.csv/);

    const r = review('tickets.ftproj');
    assert.equal(r.documents, 5);
    assert.equal(r.unlabeled, 1);
    assert.deepEqual(countsOf(r), { billing: 2, bug: 2 });
    assert.equal(r.conflictingGroups, 1);
    assert.ok(r.warnings.some((w) => w.kind === 'empty_texts_skipped' && w.count === 1));
    assert.ok(r.warnings.some((w) => w.kind === 'unlabeled' && w.count === 1));
  });

  test('importing the same file again skips everything, changes nothing and still succeeds', async () => {
    const result = await finetune('import', '--project', 'tickets.ftproj', '--data', 'tickets.csv', '--text-col', 'body', '--label-col', 'category');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /imported: 0 {2}skipped: 8 {2}failed: 0/);
    // Rows imported before are summed up in one line, not reported as copies of themselves ("same text as row 1").
    assert.match(result.stdout, /\n {2}skipped: 5 already in the project \(imported before\), 2 exact copies of other documents, 1 empty text\n/);
    assert.doesNotMatch(result.stdout, /tickets\.csv:1: /);
    assert.match(result.stdout, /skipped tickets\.csv:3: same text as row 1\n/);
    const r = review('tickets.ftproj');
    assert.equal(r.documents, 5);
    // The empty row was seen twice but is one empty text; the two copies (rows 3 and 4) are still two, as the first report said.
    assert.equal(r.warnings.find((w) => w.kind === 'empty_texts_skipped')?.count, 1);
    assert.equal(r.exactDuplicatesSkipped, 2);
    assert.equal(r.conflictingGroups, 1);
    assert.match(r.warnings.find((w) => w.kind === 'duplicates')!.message, /^2 exact copies of other documents were skipped at import/);
  });

  test('long issue lists are cut at 20 unless --all-issues', async () => {
    const rows = ['text,label', ...Array.from({ length: 30 }, () => 'same again,a'), 'different,b'];
    writeFileSync(join(dir, 'repeats.csv'), rows.join('\n'));
    const short = await finetune('import', '--project', 'repeats.ftproj', '--data', 'repeats.csv', '--label-col', 'label');
    assert.equal(short.code, 0, short.stderr);
    assert.equal(short.stdout.match(/same text as row 1/g)?.length, 20);
    assert.match(short.stdout, /\.\.\. and 9 more \(--all-issues lists them all\)/);
    rmSync(join(dir, 'repeats.ftproj'));
    const all = await finetune('import', '--project', 'repeats.ftproj', '--data', 'repeats.csv', '--label-col', 'label', '--all-issues');
    assert.equal(all.stdout.match(/same text as row 1/g)?.length, 29);
    assert.doesNotMatch(all.stdout, /more \(--all-issues/);
  });
});

describe('finetune import (JSONL, folders)', () => {
  test('multi-label JSONL creates a multi-label project', async () => {
    const lines = [
      { text: 'Slow and it crashed', tags: 'bug|performance' },
      { text: 'Please add dark mode', tags: 'feature' },
      { text: 'Crashes on login', tags: 'bug' },
      { text: 'No tags on this one', tags: '' },
    ];
    writeFileSync(join(dir, 'tags.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const result = await finetune('import', '--project', 'tags.ftproj', '--data', 'tags.jsonl', '--label-col', 'tags', '--multi-label', '--label-sep', '|');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /imported: 4 {2}skipped: 0 {2}failed: 0/);
    const r = review('tags.ftproj');
    assert.equal(r.task, 'multi_label');
    assert.deepEqual(countsOf(r), { bug: 2, performance: 1, feature: 1 });
    assert.equal(r.unlabeled, 1);
    // The project is multi-label now: a single-label switch is refused, naming the count.
    const refused = await finetune('project', 'set-task', '--project', 'tags.ftproj', 'single_label');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^finetune: tags\.ftproj: Cannot switch to single-label: 1 document has more than one label/);
    const again = await finetune('project', 'set-task', '--project', 'tags.ftproj', 'multi_label');
    assert.equal(again.stdout, 'The project is already multi-label; nothing changed.\n');
  });

  test('a copy of a JSONL document names its line (JSONL places are lines), and an empty .txt counts as an empty text', async () => {
    mkdirSync(join(dir, 'notes', 'feature'), { recursive: true });
    writeFileSync(join(dir, 'notes', 'feature', 'again.txt'), 'Please add dark mode');
    writeFileSync(join(dir, 'notes', 'feature', 'blank.txt'), '');
    const result = await finetune('import', '--project', 'tags.ftproj', '--data', 'notes');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /skipped notes\/feature\/again\.txt: same text as tags\.jsonl line 2\n/);
    assert.match(result.stdout, /skipped notes\/feature\/blank\.txt: empty text \(the file is empty, 0 bytes\)\n/);
    assert.equal(review('tags.ftproj').warnings.find((w) => w.kind === 'empty_texts_skipped')?.count, 1);
  });

  test('labels holding the separator in a single-label import get a --multi-label hint', async () => {
    const result = await finetune('import', '--project', 'tags-single.ftproj', '--data', 'tags.jsonl', '--label-col', 'tags');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /new labels: bug\|performance, feature, bug\n {2}note: 1 label contains a separator \("bug\|performance"\); if a cell holds several labels, use --multi-label/);
  });

  test('multi-label data into a single-label project is a clear error, and changes nothing', async () => {
    const result = await finetune('import', '--project', 'tickets.ftproj', '--data', 'tags.jsonl', '--label-col', 'tags', '--multi-label');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^finetune: tickets\.ftproj: This project is single-label but the data is multi-label/);
    assert.equal(review('tickets.ftproj').documents, 5);
  });

  test('a one-class folder imports, and the review says training needs two classes', async () => {
    mkdirSync(join(dir, 'mail', 'spam'), { recursive: true });
    writeFileSync(join(dir, 'mail', 'spam', 'one.txt'), 'Cheap watches, buy now');
    writeFileSync(join(dir, 'mail', 'spam', 'two.txt'), 'You have won a prize');
    const result = await finetune('import', '--project', 'mail.ftproj', '--data', 'mail');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /imported: 2 {2}skipped: 0 {2}failed: 0/);
    assert.match(result.stdout, /new labels: spam/);
    const text = await finetune('inspect', '--project', 'mail.ftproj');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Training needs at least two classes with examples; found 1/);
    const json = await finetune('inspect', '--project', 'mail.ftproj', '--json');
    const r = JSON.parse(json.stdout) as ImbalanceReview;
    assert.equal(r.documents, 2);
    assert.equal(r.recommendation, null);
    assert.equal(r.imbalanceRatio, null);
  });

  test('a copy of a file imported from another folder names that file in full, not a path that is not in this folder', async () => {
    mkdirSync(join(dir, 'more-mail', 'spam'), { recursive: true });
    writeFileSync(join(dir, 'more-mail', 'spam', 'again.txt'), 'Cheap watches, buy now');
    const result = await finetune('import', '--project', 'mail.ftproj', '--data', 'more-mail');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`skipped more-mail/spam/again\\.txt: same text as ${join(dir, 'mail', 'spam', 'one.txt').replace(/[.\\/]/g, '\\$&')}\n`));
  });

  test('taxonomy verbs report what they did', async () => {
    const deleted = await finetune('labels', 'delete', '--project', 'tags.ftproj', 'bug');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /Deleted "bug": 2 annotations removed, 1 document left without a label\./);
    const merged = await finetune('labels', 'merge', '--project', 'tags.ftproj', 'performance', 'feature');
    assert.match(merged.stdout, /Merged "performance" into "feature": "feature" now has 2 documents\./);
    const renamed = await finetune('labels', 'rename', '--project', 'tags.ftproj', 'feature', 'request');
    assert.match(renamed.stdout, /^Renamed "feature" to "request"\.\nlabel +documents +colour\nrequest +2 +#/);
    const missing = await finetune('labels', 'rename', '--project', 'tags.ftproj', 'nope', 'x');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'finetune: tags.ftproj: No label "nope" in this project (labels: "request").\n');
  });
});

describe('finetune failures', () => {
  test('when every item fails the exit code is 1 and no empty project is left behind', async () => {
    writeFileSync(join(dir, 'no-text.csv'), 'a,b\n1,2\n');
    const result = await finetune('import', '--project', 'nothing.ftproj', '--data', 'no-text.csv', '--text-col', 'body');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /imported: 0 {2}skipped: 0 {2}failed: 1/);
    assert.match(result.stdout, /failed +no-text\.csv: .*"body"/);
    assert.match(result.stdout, /Nothing was imported, so nothing\.ftproj was not created\./);
    assert.equal(existsSync(join(dir, 'nothing.ftproj')), false);
  });

  test('usage errors exit with 2 and one line, no stack trace', async () => {
    const noData = await finetune('import', '--project', 'x.ftproj');
    assert.equal(noData.code, 2);
    assert.equal(noData.stderr, 'finetune: Nothing to import: give --data FILE_OR_FOLDER (repeatable).\n');
    const missing = await finetune('import', '--project', 'x.ftproj', '--data', 'missing.csv');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--data missing\.csv: no such file or folder/);
    const unknown = await finetune('import', '--project', 'x.ftproj', '--bogus');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--bogus'/);
    const noProject = await finetune('inspect');
    assert.equal(noProject.code, 2);
    assert.equal(existsSync(join(dir, 'x.ftproj')), false);
  });

  test('a file that is not a project is refused in one line', async () => {
    const result = await finetune('inspect', '--project', 'tickets.csv');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^finetune: tickets\.csv: not a Finetune project/);
    assert.equal(result.stderr.split('\n').filter(Boolean).length, 1);
  });
});

/**
 * root may write anything, so a read-only file is only read-only to another user: as root the command runs as
 * "nobody". That user must reach node, the repo and the project; in a private folder (say a mktemp -d clone) it
 * cannot, and the test says so instead of failing.
 */
function readOnlyRunner(file: string): { skip: string | false; run: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }> } {
  const asAnotherUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  let skip: string | false = false;
  if ('uid' in asAnotherUser) {
    const probe = spawnSync(process.execPath, ['-e', 'try { for (const p of process.argv.slice(1)) require("fs").accessSync(p, 4) } catch (e) { console.error(e.message); process.exit(1) }', bin, file], { ...asAnotherUser, cwd: '/' });
    if (probe.status !== 0) skip = `running as root, and user "nobody" (who would see the file as read-only) cannot reach ${bin} or ${file}: ${String(probe.stderr || probe.error).trim()}`;
  }
  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { cwd: '/', ...asAnotherUser }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  return { skip, run };
}

describe('a read-only project', () => {
  const roDir = mkdtempSync(join(tmpdir(), 'finetune-read-only-'));
  after(() => rmSync(roDir, { recursive: true, force: true }));
  const file = join(roDir, 'shared.ftproj');
  const store = ProjectStore.create(file, { name: 'shared', task: 'single_label' });
  store.addDocuments([{ text: 'the invoice is wrong', labels: ['billing'], sourceFile: 'typed' }, { text: 'the app crashes', labels: ['bug'], sourceFile: 'typed' }], 'manual');
  store.close();
  chmodSync(roDir, 0o755);
  const { skip, run } = readOnlyRunner(file);
  const readOnly = (locked: boolean) => {
    chmodSync(file, locked ? 0o444 : 0o644);
    chmodSync(roDir, locked ? 0o555 : 0o755);
  };

  test('is refused as read-only for a change (not as "not a Finetune project") and left unchanged', { skip }, async () => {
    readOnly(true);
    const result = await run('labels', 'add', '--project', file, 'urgent');
    readOnly(false);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /shared\.ftproj: the project file is read-only\. Finetune writes to the project and to its -wal and -shm files beside it/);
    const after = ProjectStore.open(file);
    assert.deepEqual(after.labels().map((l) => l.name), ['billing', 'bug']);
    after.close();
  });

  test('can still be inspected and listed, since that only reads', { skip }, async () => {
    readOnly(true);
    const inspect = await run('inspect', '--project', file, '--json');
    const labels = await run('labels', 'list', '--project', file);
    readOnly(false);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.deepEqual((JSON.parse(inspect.stdout) as ImbalanceReview).classes.map((c) => [c.label, c.count]), [['billing', 1], ['bug', 1]]);
    assert.equal(labels.code, 0, labels.stderr);
    assert.match(labels.stdout, /billing/);
  });
});
