import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { TaskKind } from '../shared/domain.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-taxonomy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** A project with documents: 'a' on docs 1-3, 'b' on docs 3-4 (multi-label), doc 5 unlabeled. */
function project(task: TaskKind = 'multi_label'): ProjectStore {
  const store = ProjectStore.create(join(dir, `t${++counter}.ftproj`), { name: 'taxonomy', task });
  const labelsByDoc = task === 'multi_label' ? [['a'], ['a'], ['a', 'b'], ['b'], []] : [['a'], ['a'], ['a'], ['b'], []];
  store.addDocuments(labelsByDoc.map((labels, i) => ({ text: `document ${i + 1}`, labels, sourceFile: 'typed' })), 'manual');
  return store;
}

const counts = (store: ProjectStore) => Object.fromEntries(store.labels().map((l) => [l.name, l.count]));

test('add: trimmed, unique, non-empty, placed last with a palette colour', () => {
  const store = project();
  const labels = store.addLabel('  urgent ', { description: ' needs a reply today ' });
  assert.deepEqual(labels.map((l) => [l.name, l.order, l.count]), [['a', 0, 3], ['b', 1, 2], ['urgent', 2, 0]]);
  const urgent = labels[2];
  assert.equal(urgent.description, 'needs a reply today');
  assert.match(urgent.colour, /^#[0-9a-f]{6}$/);
  assert.equal(new Set(labels.map((l) => l.colour)).size, 3);
  assert.equal(store.addLabel('x', { colour: '#ABCDEF' }).at(-1)?.colour, '#abcdef');
  assert.throws(() => store.addLabel('urgent'), /Label "urgent" already exists/);
  assert.throws(() => store.addLabel('   '), /cannot be empty/);
  assert.throws(() => store.addLabel('y', { colour: 'red' }), /#rrggbb/);
  store.close();
});

test('rename keeps annotations; renaming onto an existing label points to merge', () => {
  const store = project();
  store.renameLabel('a', 'alpha');
  assert.deepEqual(counts(store), { alpha: 3, b: 2 });
  assert.equal(store.queryDocuments({ label: 'alpha' }).total, 3);
  assert.throws(() => store.renameLabel('alpha', 'b'), /already exists; use merge/);
  assert.throws(() => store.renameLabel('nope', 'z'), /No label "nope" in this project \(labels: "alpha", "b"\)/);
  store.close();
});

test('merge moves annotations, never twice on one document, and deletes the source label', () => {
  const store = project();
  const labels = store.mergeLabels('b', 'a');
  // doc 3 had both: it keeps one 'a'; doc 4 moves from b to a.
  assert.deepEqual(labels.map((l) => [l.name, l.count]), [['a', 4]]);
  const doc3 = store.queryDocuments({ search: 'document 3' }).documents[0];
  assert.deepEqual(doc3.labels, ['a']);
  const db = new Database(store.file, { readonly: true });
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM annotations').get() as { n: number }).n, 4);
  db.close();
  assert.throws(() => store.mergeLabels('a', 'a'), /into itself/);
  store.close();
});

test('delete removes its annotations and says how many documents are left unlabeled', () => {
  const store = project();
  const result = store.deleteLabel('b');
  assert.equal(result.annotationsRemoved, 2);
  assert.equal(result.documentsLeftUnlabeled, 1); // doc 4; doc 3 keeps 'a'
  assert.deepEqual(result.labels.map((l) => l.name), ['a']);
  assert.equal(store.queryDocuments({ label: '' }).total, 2);
  // The annotations are gone from the file, not just hidden (foreign keys cascade).
  const db = new Database(store.file, { readonly: true });
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM annotations').get() as { n: number }).n, 3);
  db.close();
  const last = store.deleteLabel('a');
  assert.deepEqual([last.annotationsRemoved, last.documentsLeftUnlabeled, last.labels.length], [3, 3, 0]);
  assert.equal(store.trainingExamples().length, 0);
  store.close();
});

test('describe sets a trimmed description', () => {
  const store = project();
  assert.equal(store.describeLabel('a', '  Anything about invoices  ').find((l) => l.name === 'a')?.description, 'Anything about invoices');
  assert.throws(() => store.describeLabel('zzz', 'x'), /No label "zzz"/);
  store.close();
});

test('switching to single-label is refused while documents carry several labels', () => {
  const store = project('multi_label');
  assert.throws(() => store.setTask('single_label'), /1 document has more than one label/);
  assert.equal(store.info().task, 'multi_label');
  const doc3 = store.queryDocuments({ search: 'document 3' }).documents[0];
  store.setDocumentLabels(doc3.id, ['b']);
  assert.equal(store.setTask('single_label').task, 'single_label');
  assert.throws(() => store.setDocumentLabels(doc3.id, ['a', 'b']), /single-label/);
  assert.equal(store.setTask('multi_label').task, 'multi_label');
  assert.deepEqual(store.setDocumentLabels(doc3.id, ['a', 'b']).labels, ['a', 'b']);
  store.close();
});

test('a taxonomy change while another connection imports waits for the lock, then says the project is busy (nothing half-done)', async () => {
  const first = project('single_label');
  const csv = join(dir, 'busy.csv');
  writeFileSync(csv, `text,label\n${Array.from({ length: 2000 }, (_, i) => `ticket ${i},c`).join('\n')}\n`);
  // The import takes the write lock before its first await; a second connection (another window) then asks for it.
  const importing = first.importSources([csv], { labelCol: 'label' });
  const second = ProjectStore.open(first.file);
  assert.throws(() => second.addLabel('urgent'), (error: Error) =>
    error.name === 'ProjectBusyError' && error.message.startsWith(`${first.file}: the project is busy`));
  const report = await importing;
  assert.equal(report.imported, 2000);
  // Once the import is done, the change goes through with the next order and colour after the imported label.
  const labels = second.addLabel('urgent');
  assert.deepEqual(labels.map((l) => [l.name, l.order]), [['a', 0], ['b', 1], ['c', 2], ['urgent', 3]]);
  assert.equal(new Set(labels.map((l) => l.colour)).size, 4);
  second.close();
  first.close();
});
