// The taxonomy's undo history on a real project file: rename, merge and delete undone newest first, with every
// annotation and entity span back where it was; conflicts refused in words; the history survives reopening; and a
// run says when labels or documents changed after it started.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { labelSetDifference, nameNow } from '../shared/renames.js';
import { colourFor } from '../electron/backend/store/taxonomy.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'finetune-undo-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const docs = [
  { text: 'refund my second payment please', labels: ['refund'] },
  { text: 'the invoice is wrong again', labels: ['billing'] },
  { text: 'charged twice, refund and fix the invoice', labels: ['refund', 'billing'] },
  { text: 'app crashes on start', labels: ['bug'] },
];

const labelsOf = (store: ProjectStore) => Object.fromEntries(store.queryDocuments({ limit: 50 }).documents.map((d) => [d.text, [...d.labels].sort()]));

describe('undoing label changes', () => {
  it('undoes delete, merge and rename newest first, restoring every annotation', () => {
    const file = join(dir, 'undo.ftproj');
    const store = ProjectStore.create(file, { name: 'undo', task: 'multi_label' });
    store.addDocuments(docs.map((d) => ({ ...d, sourceFile: 'typed' })), 'manual');
    const before = labelsOf(store);
    store.renameLabel('bug', 'defect');
    store.mergeLabels('refund', 'billing'); // the third document has both: its refund row goes with the label
    store.deleteLabel('defect');
    assert.deepEqual(labelsOf(store)['app crashes on start'], []);
    assert.deepEqual(labelsOf(store)['charged twice, refund and fix the invoice'], ['billing']);
    assert.equal(store.lastLabelChange()!.summary, 'deleted "defect"');
    store.close();

    // The history is in the file: a reopened project undoes the same changes.
    const again = ProjectStore.open(file);
    try {
      assert.equal(again.undoLabelChange().undone.summary, 'deleted "defect"');
      assert.deepEqual(labelsOf(again)['app crashes on start'], ['defect']);
      assert.equal(again.undoLabelChange().undone.summary, 'merged "refund" into "billing"');
      assert.deepEqual(labelsOf(again)['charged twice, refund and fix the invoice'], ['billing', 'refund']);
      assert.deepEqual(labelsOf(again)['refund my second payment please'], ['refund']);
      assert.equal(again.undoLabelChange().undone.summary, 'renamed "bug" to "defect"');
      assert.deepEqual(labelsOf(again), before);
      assert.deepEqual(again.labels().map((l) => l.name).sort(), ['billing', 'bug', 'refund']);
      assert.equal(again.lastLabelChange(), null);
      assert.throws(() => again.undoLabelChange(), /no label change to undo/);
    } finally {
      again.close();
    }
  });

  it('refuses an undo whose name is taken again, and leaves the project as it was', () => {
    const store = ProjectStore.create(join(dir, 'conflict.ftproj'), { name: 'conflict', task: 'single_label' });
    try {
      store.addDocuments([{ text: 'a b c', labels: ['x'], sourceFile: 'typed' }], 'manual');
      store.deleteLabel('x');
      store.addLabel('x');
      assert.throws(() => store.undoLabelChange(), /a label "x" exists again; rename or merge it first/);
      assert.equal(store.lastLabelChange()!.summary, 'deleted "x"');
      assert.equal(store.labels().find((l) => l.name === 'x')!.count, 0);
    } finally {
      store.close();
    }
  });

  it('brings back the entity spans of a deleted type in a token project', async () => {
    const store = ProjectStore.create(join(dir, 'tokens.ftproj'), { name: 'tokens', task: 'token' });
    try {
      store.addLabel('PER');
      const text = join(dir, 'one.txt');
      writeFileSync(text, 'Ada met Bob\n');
      await store.importSources([text], {});
      const [doc] = store.queryTokenDocuments({}).documents;
      store.setDocumentSpans(doc.id, [{ start: 0, end: 3, label: 'PER' }, { start: 8, end: 11, label: 'PER' }], undefined, true);
      store.deleteLabel('PER');
      assert.equal(store.tokenDocument(doc.id).spans.length, 0);
      store.undoLabelChange();
      assert.deepEqual(store.tokenDocument(doc.id).spans.map((s) => s.label), ['PER', 'PER']);
    } finally {
      store.close();
    }
  });

  it('marks a run whose data changed after it started, and only then', () => {
    const store = ProjectStore.create(join(dir, 'runs.ftproj'), { name: 'runs', task: 'single_label' });
    try {
      store.addDocuments([{ text: 'one two', labels: ['x'], sourceFile: 'typed' }, { text: 'three four', labels: ['y'], sourceFile: 'typed' }], 'manual');
      const runId = store.createRun({} as never);
      store.finishRun(runId, { status: 'failed', error: 'test' });
      assert.equal(store.listRuns()[0].dataChanged, false);
      store.describeLabel('x', 'a description is not a change of data');
      assert.equal(store.listRuns()[0].dataChanged, false);
      const [doc] = store.queryDocuments({ search: 'one two' }).documents;
      store.setDocumentLabels(doc.id, ['y']);
      assert.equal(store.listRuns()[0].dataChanged, true);
    } finally {
      store.close();
    }
  });
});

describe('label names across runs', () => {
  it('maps a run\'s label names through later renames, and names the labels only one run has', () => {
    const store = ProjectStore.create(join(dir, 'names.ftproj'), { name: 'names', task: 'single_label' });
    try {
      store.addLabel('bug');
      store.addLabel('idea');
      store.renameLabel('bug', 'defect');
      store.renameLabel('idea', 'wish');
      store.undoLabelChange(); // the second rename is undone: it no longer maps anything
      const renames = store.labelRenames();
      assert.deepEqual(renames.map((r) => [r.from, r.to]), [['bug', 'defect']]);
      assert.equal(nameNow('bug', '2000-01-01T00:00:00.000Z', renames), 'defect', 'a run from before the rename');
      assert.equal(nameNow('bug', '2999-01-01T00:00:00.000Z', renames), 'bug', 'a run after it had no "bug" to rename');
      assert.deepEqual(labelSetDifference(['defect', 'idea'], ['defect', 'praise']), { onlyA: ['idea'], onlyB: ['praise'] });
    } finally {
      store.close();
    }
  });
});

describe('label colours', () => {
  it('gives every label of a 30-class project its own colour', () => {
    const colours = Array.from({ length: 30 }, (_, i) => colourFor(i));
    assert.equal(new Set(colours).size, 30);
    assert.ok(colours.every((c) => /^#[0-9a-f]{6}$/.test(c)));
  });
});
