import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { RunMetrics, TrainSettings } from '../shared/domain.js';
import { APPLICATION_ID, migrate } from '../electron/backend/store/database.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../electron/backend/store/migrations/index.js';
import { ProjectFileError, ProjectStore, ProjectVersionError } from '../electron/backend/store/project-store.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const newFile = () => join(dir, `p${++counter}.ftproj`);

/** A raw connection for looking under the store; closed by the caller. */
const raw = (file: string) => new Database(file);

const settings: TrainSettings = {
  strategy: 'auto', weights: 'sqrt_inverse', gamma: 2, head: 'linear', epochs: 5, seed: 7, valFraction: 0.1, testFraction: 0.2,
};

describe('project file', () => {
  test('a new project is at the latest schema, in WAL mode, and refuses to be created twice', () => {
    const file = newFile();
    const store = ProjectStore.create(file, { name: ' Tickets ', task: 'single_label' });
    const info = store.info();
    assert.equal(info.name, 'Tickets');
    assert.equal(info.task, 'single_label');
    assert.equal(info.encoder, 'use-lite');
    assert.equal(info.schemaVersion, LATEST_SCHEMA_VERSION);
    assert.ok(!Number.isNaN(Date.parse(info.createdAt)));
    store.close();
    const db = raw(file);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
    db.close();
    assert.throws(() => ProjectStore.create(file, { name: 'again', task: 'multi_label' }), ProjectFileError);
    const reopened = ProjectStore.open(file);
    assert.equal(reopened.info().name, 'Tickets');
    reopened.close();
  });

  test('a project written by a newer version is refused, naming both versions, and left byte-identical', () => {
    const file = newFile();
    ProjectStore.create(file, { name: 'future', task: 'single_label' }).close();
    const db = raw(file);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    db.close(); // the last connection closing checkpoints the WAL into the file
    const before = readFileSync(file);
    assert.throws(
      () => ProjectStore.open(file),
      (error: unknown) =>
        error instanceof ProjectVersionError &&
        error.message.includes(`version ${LATEST_SCHEMA_VERSION + 5}`) &&
        error.message.includes(`up to ${LATEST_SCHEMA_VERSION}`),
    );
    assert.deepEqual(readFileSync(file), before);
  });

  test('files that are not projects are refused and left alone', () => {
    const text = join(dir, 'notes.ftproj');
    writeFileSync(text, 'just some text, not SQLite at all');
    assert.throws(() => ProjectStore.open(text), ProjectFileError);
    assert.equal(readFileSync(text, 'utf8'), 'just some text, not SQLite at all');
    const other = join(dir, 'other.sqlite');
    const db = raw(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const before = readFileSync(other);
    assert.throws(() => ProjectStore.open(other), /not a Finetune project/);
    assert.deepEqual(readFileSync(other), before);
    assert.throws(() => ProjectStore.open(join(dir, 'missing.ftproj')), /no such project file/);
  });

  test('a version 1 file is migrated when opened, keeping its data', () => {
    const file = newFile();
    const db = raw(file);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    migrate(db, 0, MIGRATIONS.slice(0, 1));
    db.prepare(`INSERT INTO projects (name, task, created_at) VALUES ('v1', 'single_label', '2026-01-01T00:00:00Z')`).run();
    db.prepare(`INSERT INTO runs (status, settings, started_at) VALUES ('running', '{}', '2026-01-01T00:00:00Z')`).run();
    db.close();
    const store = ProjectStore.open(file);
    assert.equal(store.info().schemaVersion, LATEST_SCHEMA_VERSION);
    assert.ok(LATEST_SCHEMA_VERSION >= 2);
    assert.equal(store.info().name, 'v1');
    // A version 1 run has no owner process on record, so a run it left running is a crashed one.
    assert.equal(store.listRuns()[0].status, 'failed');
    store.close();
  });

  test('migrations apply in order, each in a transaction with its user_version', () => {
    const file = newFile();
    ProjectStore.create(file, { name: 'old', task: 'single_label' }).close();
    const db = raw(file);
    const v = LATEST_SCHEMA_VERSION;
    migrate(db, v, [{ version: v + 1, up: (d) => d.exec('ALTER TABLE documents ADD COLUMN note TEXT') }]);
    assert.equal(db.pragma('user_version', { simple: true }), v + 1);
    const failing = {
      version: v + 2,
      up: (d: Database.Database) => {
        d.exec('CREATE TABLE half_done (x)');
        throw new Error('migration failed midway');
      },
    };
    assert.throws(() => migrate(db, v + 1, [failing]), /failed midway/);
    assert.equal(db.pragma('user_version', { simple: true }), v + 1);
    assert.equal((db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'half_done'`).get() as { n: number }).n, 0);
    db.close();
  });
});

describe('documents and annotations', () => {
  test('documents round-trip with labels, search, paging and manual labels', () => {
    const store = ProjectStore.create(newFile(), { name: 'docs', task: 'single_label' });
    const report = store.addDocuments(
      [
        { text: 'Refund please, order 12', labels: ['billing'], sourceFile: 'typed', metadata: { from: 'ann' } },
        { text: 'The app crashes on start', labels: ['bug'], sourceFile: 'typed' },
        { text: '  Refund please, order 12  ', labels: ['bug'], sourceFile: 'typed' },
        { text: 'What are your opening hours?', sourceFile: 'typed' },
        { text: '   ', labels: ['bug'], sourceFile: 'typed' },
      ],
      'manual',
    );
    assert.equal(report.imported, 3);
    assert.equal(report.skipped, 2);
    assert.deepEqual(report.labelsCreated, ['billing', 'bug']);
    assert.match(report.issues[0].reason, /^same text as row 1 but with different labels \(bug here, billing there\)/);
    assert.equal(report.issues[1].reason, 'empty text');

    const all = store.queryDocuments({});
    assert.equal(all.total, 3);
    assert.deepEqual(all.documents[0].metadata, { from: 'ann' });
    assert.equal(all.documents[0].contentHash.length, 64);
    assert.deepEqual(all.documents.map((d) => d.labels), [['billing'], ['bug'], []]);
    assert.deepEqual(store.queryDocuments({ label: '' }).documents.map((d) => d.text), ['What are your opening hours?']);
    assert.equal(store.queryDocuments({ search: 'REFUND' }).total, 1);
    assert.equal(store.queryDocuments({ search: '100%' }).total, 0);
    const page = store.queryDocuments({ offset: 1, limit: 1 });
    assert.equal(page.total, 3);
    assert.deepEqual(page.documents.map((d) => d.text), ['The app crashes on start']);

    const question = store.queryDocuments({ label: '' }).documents[0];
    assert.throws(() => store.setDocumentLabels(question.id, ['billing', 'bug']), /single-label/);
    assert.throws(() => store.setDocumentLabels(question.id, ['sales']), /No label "sales"/);
    assert.deepEqual(store.setDocumentLabels(question.id, ['billing'], 'ann').labels, ['billing']);
    assert.equal(store.labels().find((l) => l.name === 'billing')?.count, 2);

    const examples = store.trainingExamples();
    assert.equal(examples.length, 3);
    assert.deepEqual(
      examples.map((e) => [e.text, e.labels, e.source]),
      [
        ['Refund please, order 12', ['billing'], 'manual'],
        ['The app crashes on start', ['bug'], 'manual'],
        ['What are your opening hours?', ['billing'], 'manual'],
      ],
    );
    store.close();
  });

  test('synthetic documents are marked as such for training and left out of the review', () => {
    const store = ProjectStore.create(newFile(), { name: 'syn', task: 'multi_label' });
    const texts = ['Refund the duplicate charge on my card please.', 'I was billed twice for the same order, refund one.', 'Please refund the second payment taken this month.'];
    store.addDocuments(texts.map((text) => ({ text, labels: ['a', 'b'], sourceFile: 'typed' })), 'manual');
    const [made] = store.generateSynthetic({ label: 'b', count: 1, seed: 1 });
    store.reviewSynthetic(made.id, 'accepted');
    assert.deepEqual(store.getDocument(made.id).labels, ['a', 'b']);
    assert.equal(store.getDocument(made.id).synthetic?.status, 'accepted');
    assert.equal(store.getDocument(made.id).metadata.synthetic, undefined, 'provenance lives in its own tables');
    const review = store.review();
    assert.equal(review.documents, 3);
    assert.deepEqual(review.classes.map((c) => [c.label, c.count]), [['a', 3], ['b', 3]]);
    const training = store.trainingExamples();
    assert.deepEqual(training.filter((e) => e.source === 'synthetic').map((e) => [e.documentId, e.parents?.length]), [[made.id, made.synthetic.parents.length]]);
    store.close();
  });

  test('schema 4 moves provenance from document metadata into the synthetic tables', () => {
    const file = newFile();
    const store = ProjectStore.create(file, { name: 'old', task: 'single_label' });
    store.addDocuments([{ text: 'kept real', labels: ['x'], sourceFile: 'typed' }, { text: 'made earlier', labels: ['x'], sourceFile: 'synthetic' }], 'manual');
    store.close();
    // Back to a version-3 file whose synthetic example carries its provenance in metadata, as before.
    const raw = new Database(file);
    raw.exec(`DROP TABLE synthetic_parents; DROP TABLE synthetic_documents; DROP TABLE entity_spans; DROP TABLE token_documents; DROP TABLE taxonomy_changes; ALTER TABLE projects DROP COLUMN data_changed_at;
      ALTER TABLE projects DROP COLUMN tag_scheme; ALTER TABLE projects DROP COLUMN pair_column; ALTER TABLE run_predictions DROP COLUMN pair;
      UPDATE documents SET metadata = json_set(metadata, '$.synthetic', json('{"method":"eda","parents":[1],"status":"accepted","edited":true}')) WHERE text = 'made earlier';
      PRAGMA user_version = 3;`);
    raw.close();
    const migrated = ProjectStore.open(file);
    const made = migrated.queryDocuments({ search: 'made earlier' }).documents[0];
    assert.deepEqual(made.synthetic, { method: 'eda', parents: [1], status: 'accepted', edited: true });
    assert.equal(made.metadata.synthetic, undefined);
    assert.equal(migrated.review().documents, 1);
    assert.equal(migrated.info().schemaVersion, LATEST_SCHEMA_VERSION, 'migrated through every later version too');
    migrated.close();
  });

  test('pending and rejected synthetic candidates are not listed for labeling nor counted; accepted ones are, marked', () => {
    const store = ProjectStore.create(newFile(), { name: 'syn-list', task: 'single_label' });
    const texts = [
      'The invoice for March was charged twice to my card, please refund the second payment',
      'My refund for the cancelled order has not arrived after two weeks, where is it',
      'Please send a corrected invoice with our new billing address on it',
      'I was billed for a plan I never ordered, cancel it and refund me',
    ];
    store.addDocuments([...texts.map((text) => ({ text, labels: ['billing'], sourceFile: 'typed' })), { text: 'The app crashes on start', labels: ['bug'], sourceFile: 'typed' }], 'manual');
    const [accepted, rejected] = store.generateSynthetic({ label: 'billing', count: 3, seed: 1 });
    store.reviewSynthetic(accepted.id, 'accepted');
    store.reviewSynthetic(rejected.id, 'rejected');
    const page = store.queryDocuments({ limit: 100 });
    assert.equal(page.total, 6, 'five real documents and the accepted candidate');
    assert.deepEqual(page.documents.filter((d) => d.synthetic).map((d) => d.id), [accepted.id]);
    assert.equal((page.documents.find((d) => d.id === accepted.id)!.synthetic!).status, 'accepted');
    assert.equal(store.queryDocuments({ label: 'billing', limit: 100 }).total, 5);
    assert.deepEqual(store.labels().map((l) => [l.name, l.count]), [['billing', 5], ['bug', 1]]);
    assert.equal(store.listSynthetic({}).length, 3, 'the synthetic panel still sees every candidate');
    store.close();
  });

  test('the review finds near-exact copies and the copies whose labels disagree', () => {
    const store = ProjectStore.create(newFile(), { name: 'dups', task: 'single_label' });
    store.addDocuments(
      [
        { text: 'Hello, World!', labels: ['greeting'], sourceFile: 'a.csv' },
        { text: 'hello world', labels: ['other'], sourceFile: 'a.csv' },
        { text: 'Good-bye...', labels: ['greeting'], sourceFile: 'a.csv' },
        { text: 'good bye', labels: ['greeting'], sourceFile: 'a.csv' },
        { text: 'GOOD BYE', sourceFile: 'a.csv' },
        { text: 'Good-bye...', labels: ['greeting'], sourceFile: 'b.csv' },
        { text: 'unrelated', labels: ['other'], sourceFile: 'a.csv' },
      ],
      'manual',
    );
    const review = store.review(0.5);
    assert.equal(review.documents, 6);
    assert.equal(review.duplicateGroups, 2);
    assert.equal(review.duplicateDocuments, 5);
    // hello/Hello differ; the good-bye group agrees (an unlabeled copy is no conflict), and its exact copy too.
    assert.equal(review.conflictingGroups, 1);
    // The warning covers both: the exact copy skipped when it was added (b.csv) and the 5 near-exact copies kept.
    assert.equal(review.exactDuplicatesSkipped, 1);
    assert.ok(review.warnings.some((w) => w.kind === 'duplicates' && w.count === 6 && /^1 exact copy of another document was skipped at import .* 5 documents are near-exact/.test(w.message)));
    store.close();
  });
});

describe('import transaction', () => {
  test('an import cancelled midway is rolled back and the project stays usable', async () => {
    const store = ProjectStore.create(newFile(), { name: 'cancel', task: 'single_label' });
    store.addDocuments([{ text: 'kept before', labels: ['old'], sourceFile: 'typed' }], 'manual');
    const csv = join(dir, 'cancel.csv');
    writeFileSync(csv, `text,label\n${Array.from({ length: 50_000 }, (_, i) => `row number ${i},new_${i % 3}`).join('\n')}\n`);
    const controller = new AbortController();
    let importedWhenCancelled = 0;
    let seenDuringImport: { total: number; labels: string[] } | null = null;
    await assert.rejects(
      store.importSources([csv], { labelCol: 'label' }, (p) => {
        if (p.imported > 0 && !controller.signal.aborted) {
          importedWhenCancelled = p.imported;
          // Readers meanwhile see what is committed, not the open transaction's rows (issue 9, item 6).
          seenDuringImport = { total: store.queryDocuments({}).total, labels: store.labels().map((l) => l.name) };
          controller.abort();
        }
      }, controller.signal),
      { name: 'AbortError' },
    );
    assert.ok(importedWhenCancelled > 0, 'cancelled after documents were written');
    assert.deepEqual(seenDuringImport, { total: 1, labels: ['old'] });
    assert.equal(store.queryDocuments({}).total, 1);
    assert.deepEqual(store.labels().map((l) => l.name), ['old']);
    const again = await store.importSources([csv], { labelCol: 'label' });
    assert.equal(again.imported, 50_000);
    assert.deepEqual(again.labelsCreated, ['new_0', 'new_1', 'new_2']);
    store.close();
  });
});

test('an import that adds nothing leaves no trace in the import history', async () => {
  const store = ProjectStore.create(newFile(), { name: 'history', task: 'single_label' });
  store.addDocuments([{ text: 'kept before', labels: ['old'], sourceFile: 'typed' }], 'manual');
  const history = () => {
    const reader = new Database(store.file, { readonly: true });
    try {
      return reader.prepare('SELECT COUNT(*) AS n FROM imports').get() as { n: number };
    } finally {
      reader.close();
    }
  };
  const before = history().n;
  const report = await store.importSources([join(dir, 'no-such-file.csv')], { labelCol: 'label' });
  assert.equal(report.imported, 0);
  assert.ok(report.failed > 0 || report.issues.length > 0, 'the missing file is reported');
  assert.equal(history().n, before);
  store.close();
});

test('an imported label longer than a label can be is refused with the row, and the row\'s neighbours import', async () => {
  const store = ProjectStore.create(newFile(), { name: 'long labels', task: 'single_label' });
  const csv = join(dir, 'long-label.csv');
  writeFileSync(csv, `text,label\nfirst ticket,billing\nsecond ticket,${'x'.repeat(5000)}\nthird ticket,bug\n`);
  const report = await store.importSources([csv], { textCol: 'text', labelCol: 'label' });
  assert.equal(report.imported, 2);
  assert.equal(report.issues.length, 1);
  assert.equal(report.issues[0].where, '2');
  assert.match(report.issues[0].reason, /a label of 5,000 characters \("x{40}…"; at most 200\): is the label column the right one\?/);
  assert.deepEqual(store.labels().map((l) => l.name).sort(), ['billing', 'bug']);
  store.close();
});

describe('runs', () => {
  const metrics = { task: 'single_label', labels: ['a', 'b'], accuracy: 0.9, f1_macro: 0.85 } as unknown as RunMetrics;

  test('a run round-trips its settings, metrics, split, history, model folder and predictions', () => {
    const store = ProjectStore.create(newFile(), { name: 'runs', task: 'single_label' });
    store.addDocuments(
      [
        { text: 'one', labels: ['a'], sourceFile: 't' },
        { text: 'two', labels: ['b'], sourceFile: 't' },
      ],
      'manual',
    );
    const [d1, d2] = store.queryDocuments({}).documents.map((d) => d.id);
    const runId = store.createRun(settings);
    assert.equal(store.listRuns()[0].status, 'running');
    assert.throws(() => store.runMetrics(runId), /no metrics/);
    store.finishRun(runId, {
      status: 'completed',
      metrics,
      split: { seed: 7, train: [d1], val: [], test: [d2] },
      modelDir: '/models/run-1',
      history: [{ epoch: 1, loss: 0.5, valMacroF1: 0.7 }],
      predictions: [
        { documentId: d1, text: 'one', trueLabels: ['a'], predicted: ['a'], probabilities: { a: 0.9, b: 0.1 } },
        { documentId: d2, text: 'two', trueLabels: ['b'], predicted: ['a'], probabilities: { a: 0.6, b: 0.4 } },
      ],
    });
    const [summary] = store.listRuns();
    assert.equal(summary.id, runId);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.f1Macro, 0.85);
    assert.deepEqual(summary.settings, settings);
    assert.ok(summary.finishedAt);
    assert.deepEqual(store.runMetrics(runId), metrics);
    assert.deepEqual(store.runSplit(runId), { seed: 7, train: [d1], val: [], test: [d2] });
    assert.equal(store.runModelDir(runId), '/models/run-1');
    assert.deepEqual(store.runHistory(runId), [{ epoch: 1, loss: 0.5, valMacroF1: 0.7 }]);
    assert.equal(store.runPredictions(runId).length, 2);
    assert.deepEqual(store.runPredictions(runId, { misclassifiedOnly: true }).map((p) => p.documentId), [d2]);
    assert.deepEqual(store.runPredictions(runId, { trueLabel: 'a' }).map((p) => p.text), ['one']);
    assert.deepEqual(store.runPredictions(runId, { predictedLabel: 'b' }), []);
    assert.throws(() => store.finishRun(runId, { status: 'failed' }), /already finished/);
    assert.throws(() => store.runMetrics(999), /No run 999/);
    store.close();
  });

  test('runs whose process died become failed with the reason when the project is opened; live ones stay', () => {
    const file = newFile();
    const store = ProjectStore.create(file, { name: 'crash', task: 'single_label' });
    const done = store.createRun(settings);
    store.finishRun(done, { status: 'cancelled' });
    const crashed = store.createRun(settings);
    const live = store.createRun(settings); // owned by this process, which is alive
    store.close();
    const finished = spawnSync(process.execPath, ['-e', '']); // its process id is free once it has exited
    const db = raw(file);
    db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(finished.pid, crashed);
    db.close();

    const reopened = ProjectStore.open(file);
    const byId = new Map(reopened.listRuns().map((r) => [r.id, r]));
    assert.equal(byId.get(done)?.status, 'cancelled');
    assert.equal(byId.get(crashed)?.status, 'failed');
    assert.match(byId.get(crashed)?.error ?? '', /stopped unexpectedly/);
    assert.equal(byId.get(live)?.status, 'running');
    assert.equal(reopened.failStaleRuns('again'), 0);
    reopened.finishRun(live, { status: 'completed' });
    reopened.close();
  });
});
