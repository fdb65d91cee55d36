// Token projects end to end on real parts: a real project file, real Brown sentences written as CoNLL and imported,
// spans read back, marked and refused, types renamed, merged and deleted, then a real tagger run in the model
// worker through the app service, its entity results, and new text tagged.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { entityConfusion, hasEntityErrors, normaliseSpans, spansToTags, tagsToSpans } from '../shared/tokens.js';
import { defaultSamplePath } from '../electron/backend/app/resources.js';
import { createAppService } from '../electron/backend/app/service.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { LATEST_SCHEMA_VERSION } from '../electron/backend/store/migrations/index.js';
import { brownTagged } from './fixtures/brown-tags.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'finetune-token-projects-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Brown sentences as CoNLL with NAME/TITLE entities, one -DOCSTART- per Brown file. */
function writeConll(name: string, count: number): string {
  const { train } = brownTagged();
  const lines: string[] = [];
  let file = '';
  for (const s of train.slice(0, count)) {
    if (s.file !== file) lines.push('-DOCSTART- O', '');
    file = s.file;
    s.tokens.forEach((token, i) => lines.push(`${token}\t${s.names[i]}`));
    lines.push('');
  }
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n'));
  return path;
}

describe('spans and tags', () => {
  const text = 'Ann Lee met Bob in Paris .';
  const words: Array<[number, number]> = [[0, 3], [4, 7], [8, 11], [12, 15], [16, 18], [19, 24], [25, 26]];

  it('turn into IOB2 tags and back, and into one tag per word for plain tag sets', () => {
    const spans = [{ start: 0, end: 7, label: 'PER' }, { start: 19, end: 24, label: 'LOC' }];
    const tags = spansToTags(words, spans, 'entities');
    assert.deepEqual(tags, ['B-PER', 'I-PER', 'O', 'O', 'O', 'B-LOC', 'O']);
    assert.deepEqual(tagsToSpans(words, tags, 'entities'), spans);
    assert.deepEqual(spansToTags(words, [{ start: 0, end: 3, label: 'PROPN' }], 'tags').slice(0, 2), ['PROPN', 'O']);
  });

  it('snap out to whole words, and refuse overlaps, empty spans and spans outside the text', () => {
    assert.deepEqual(normaliseSpans(text, words, [{ start: 20, end: 22, label: 'LOC' }]), [{ start: 19, end: 24, label: 'LOC' }]);
    assert.match(String(normaliseSpans(text, words, [{ start: 0, end: 7, label: 'PER' }, { start: 4, end: 11, label: 'ORG' }])), /"Ann Lee" \(PER\) and "Lee met" \(ORG\) overlap/);
    assert.match(String(normaliseSpans(text, words, [{ start: 3, end: 3, label: 'PER' }])), /outside the text .* or empty/);
    assert.match(String(normaliseSpans(text, words, [{ start: 20, end: 99, label: 'PER' }])), /outside the text \(0–26\)/);
  });

  it('confuse types by overlap: a wrong type, a miss and a spurious entity each land in their cell', () => {
    const gold = [{ start: 0, end: 7, label: 'PER' }, { start: 12, end: 15, label: 'PER' }];
    const predicted = [{ start: 0, end: 7, label: 'ORG' }, { start: 19, end: 24, label: 'LOC' }];
    const c = entityConfusion([{ gold, predicted }]);
    assert.deepEqual(c.types, ['LOC', 'ORG', 'PER']);
    const [loc, org, per, none] = [0, 1, 2, 3];
    assert.equal(c.counts[per][org], 1, 'PER read as ORG');
    assert.equal(c.counts[per][none], 1, 'PER missed');
    assert.equal(c.counts[none][loc], 1, 'LOC spurious');
    assert.deepEqual(c.cells[per][org], [0]);
    assert.equal(hasEntityErrors({ gold, predicted }), true);
    assert.equal(hasEntityErrors({ gold, predicted: gold }), false);
  });
});

describe('a token project', () => {
  it('imports CoNLL as documents with spans, marks and refuses spans, and follows renames, merges and deletes', async () => {
    const file = join(dir, 'store.ftproj');
    const store = ProjectStore.create(file, { name: 'names', task: 'token' });
    try {
      const conll = writeConll('names.conll', 120);
      const report = await store.importSources([conll], {});
      assert.ok(report.imported > 100, `${report.imported} imported`);
      assert.deepEqual([...report.labelsCreated].sort(), ['NAME', 'TITLE']);
      assert.equal(store.info().tagScheme, 'entities');
      const page = store.queryTokenDocuments({ label: 'NAME', limit: 5 });
      assert.ok(page.total > 10);
      const doc = page.documents[0];
      assert.ok(doc.annotated);
      const name = doc.spans.find((s) => s.label === 'NAME')!;
      assert.ok(doc.text.slice(name.start, name.end).length > 0);

      // Marking: the second word becomes a TITLE (its span inside a word snaps to the word), the rest is cleared.
      const [s1, e1] = doc.words[1];
      const marked = store.setDocumentSpans(doc.id, [{ start: s1 + 1, end: e1, label: 'TITLE' }], 'Ada');
      assert.deepEqual(marked.spans, [{ start: s1, end: e1, label: 'TITLE' }]);
      assert.equal(marked.annotated, true, 'an imported, finished document stays finished while corrected');
      assert.equal(store.setDocumentSpans(doc.id, marked.spans, 'Ada', false).annotated, false);
      assert.equal(store.setDocumentSpans(doc.id, marked.spans, 'Ada', true).annotated, true);
      assert.throws(() => store.setDocumentSpans(doc.id, [{ start: 0, end: 1, label: 'PLACE' }]), /No entity type "PLACE"/);
      assert.throws(() => store.setDocumentSpans(doc.id, [{ start: s1, end: e1, label: 'TITLE' }, { start: s1, end: e1, label: 'NAME' }]), /overlap/);
      assert.deepEqual(store.tokenDocument(doc.id).spans, marked.spans, 'a refused change leaves the spans as they were');

      // The taxonomy step's operations reach the spans.
      const titles = store.tokenReview().types.find((t) => t.label === 'TITLE')!.entities;
      store.renameLabel('TITLE', 'HEADING');
      assert.deepEqual(store.tokenDocument(doc.id).spans.map((s) => s.label), ['HEADING']);
      store.mergeLabels('HEADING', 'NAME');
      const review = store.tokenReview();
      assert.deepEqual(review.types.map((t) => t.label), ['NAME']);
      assert.ok(review.types[0].entities >= titles, 'merged entities are all NAME now');
      assert.ok(review.entityWords > 0 && review.entityWords < review.words);
      const deleted = store.deleteLabel('NAME');
      assert.ok(deleted.annotationsRemoved >= review.types[0].entities);
      assert.equal(store.tokenDocument(doc.id).spans.length, 0);
      assert.throws(() => store.setTask('single_label'), /marks words/);
    } finally {
      store.close();
    }
  });

  it('a project from before token tasks (schema 5) opens migrated to the latest schema, its documents and task intact', () => {
    const file = join(dir, 'v5.ftproj');
    const store = ProjectStore.create(file, { name: 'old', task: 'multi_label' });
    store.addDocuments([{ text: 'kept', labels: ['x', 'y'], sourceFile: 'typed' }], 'manual');
    store.close();
    const raw = new Database(file);
    raw.exec('DROP TABLE taxonomy_changes; ALTER TABLE projects DROP COLUMN data_changed_at; DROP TABLE entity_spans; DROP TABLE token_documents; ALTER TABLE projects DROP COLUMN tag_scheme; PRAGMA user_version = 5;');
    raw.close();
    const migrated = ProjectStore.open(file);
    try {
      assert.equal(migrated.info().schemaVersion, LATEST_SCHEMA_VERSION);
      assert.equal(migrated.info().task, 'multi_label');
      assert.equal(migrated.info().tagScheme, null);
      assert.deepEqual(migrated.queryDocuments({}).documents[0].labels.sort(), ['x', 'y']);
    } finally {
      migrated.close();
    }
  });

  it('trains the tagger through the app service on marked documents, reports entity F1 and tags new text', async () => {
    const service = createAppService({ dataDir: join(dir, 'data'), samplePath: defaultSamplePath() });
    try {
      await service.handle('projects:create', { name: 'brown names', task: 'token' });
      await service.handle('import:run', { paths: [writeConll('train.conll', 700)], options: {} });
      // Plain text to mark later: imported unfinished; it never trains.
      writeFileSync(join(dir, 'new.txt'), 'Mr. Stevens visited Atlanta .\nThe jury met on Friday .\n');
      await service.handle('import:run', { paths: [join(dir, 'new.txt')], options: {} });
      const todo = await service.handle('tokens:query', { annotated: false });
      assert.equal(todo.total, 2);
      // Marks in progress are saved but do not train; "done" makes the document a training document.
      const stevens = todo.documents.find((d) => d.text.startsWith('Mr. Stevens'))!;
      const word = (w: string) => stevens.words.find(([s, e]) => stevens.text.slice(s, e) === w)!;
      const spans = [{ start: word('Stevens')[0], end: word('Stevens')[1], label: 'NAME' }];
      assert.equal((await service.handle('tokens:setSpans', { documentId: stevens.id, spans })).annotated, false);
      assert.equal((await service.handle('tokens:setSpans', { documentId: stevens.id, spans, finished: true })).annotated, true);
      assert.equal((await service.handle('tokens:query', { annotated: false })).total, 1);
      const finished = new Promise<{ status: string; error: string | null }>((resolve) => {
        const stop = service.on((event, payload) => {
          if (event === 'train:finished') {
            stop();
            resolve(payload as { status: string; error: string | null });
          }
        });
      });
      const { runId } = await service.handle('train:start', { settings: { seed: 3 } });
      const outcome = await finished;
      assert.equal(outcome.status, 'completed', outcome.error ?? '');
      const results = await service.handle('tokens:results', { runId });
      const e = results.metrics.entities!;
      assert.ok(e.micro.f1 > 0.6, `entity micro-F1 ${e.micro.f1}`);
      assert.ok(e.micro.interval[0] <= e.micro.f1 && e.micro.f1 <= e.micro.interval[1]);
      assert.ok(results.documents.length === results.metrics.n_test_sentences);
      assert.ok(results.documents.some((d) => d.gold.length > 0 && d.predicted.length > 0));
      const [listed] = await service.handle('runs:list', undefined);
      assert.equal(listed.f1Macro, e.macro.f1, 'the run list shows the macro entity F1');
      const [tagged] = await service.handle('tokens:predict', { runId, texts: ['Mr. Stevens visited Atlanta on Friday .'] });
      const names = tagged.spans.filter((s) => s.label === 'NAME').map((s) => tagged.text.slice(s.start, s.end));
      assert.ok(names.includes('Atlanta') || names.includes('Stevens'), `names found: ${JSON.stringify(tagged.spans)}`);
      assert.ok(tagged.spans.every((s) => s.score > 0 && s.score <= 1));
    } finally {
      await service.close();
    }
  });

  it('refuses to train before enough documents are finished, saying how many', async () => {
    const service = createAppService({ dataDir: join(dir, 'data-few'), samplePath: defaultSamplePath() });
    try {
      await service.handle('projects:create', { name: 'few', task: 'token' });
      await service.handle('import:run', { paths: [writeConll('few.conll', 5)], options: {} });
      await assert.rejects(service.handle('train:start', { settings: {} }), /Only \d+ documents have finished marks; mark the words of at least 20/);
    } finally {
      await service.close();
    }
  });
});
