// Synthetic minority examples on real e-mails: the generator (deterministic, never a copy or near-copy, provenance),
// the review in a real project file (only accepted examples train), the leakage guard of the training split, the app
// service's channels and the `finetune synthetic` verbs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SyntheticExample } from '../shared/api.js';
import { toCsv } from '../shared/csv.js';
import { DEFAULT_TRAIN_SETTINGS, type RunMetrics } from '../shared/domain.js';
import { nearDuplicateKey } from '../shared/text.js';
import { defaultSamplePath } from '../electron/backend/app/resources.js';
import { createAppService } from '../electron/backend/app/service.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { generateCandidates, splitSentences, type SourceDocument } from '../electron/backend/synthetic/augment.js';
import type { TrainExample } from '../electron/backend/training/job.js';
import { prepare } from '../electron/backend/training/prepare.js';
import { loadSpamAssassin } from './fixtures/corpora.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-synthetic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const corpus = loadSpamAssassin();
const hardHam = corpus.train.filter((e) => e.label === 'hard_ham').slice(0, 12);
const ham = corpus.train.filter((e) => e.label === 'ham').slice(0, 40);
const classDocuments: SourceDocument[] = hardHam.map((e, i) => ({ id: i + 1, text: e.text }));
const projectKeys = new Set([...hardHam, ...ham].map((e) => nearDuplicateKey(e.text)));

const generate = (seed: number, count = 20) =>
  generateCandidates({
    classDocuments,
    backgroundTexts: [...hardHam, ...ham].map((e) => e.text),
    count,
    seed,
    isExistingNearDuplicate: (text) => projectKeys.has(nearDuplicateKey(text)),
  });

/** A project file holding 40 ham and 12 hard_ham e-mails, imported from a CSV through the real parsers. */
async function smallProject(name: string): Promise<ProjectStore> {
  const csv = join(dir, `${name}.csv`);
  writeFileSync(csv, toCsv(['body', 'category'], [...ham, ...hardHam].map((e) => [e.text, e.label])));
  const store = ProjectStore.create(join(dir, `${name}.ftproj`), { name, task: 'single_label' });
  await store.importSources([csv], { textCol: 'body', labelCol: 'category' });
  return store;
}

describe('generator', () => {
  const first = generate(11);

  test('is deterministic for a seed and differs across seeds', () => {
    assert.equal(first.length, 20);
    assert.deepEqual(generate(11), first);
    assert.notDeepEqual(generate(12).map((c) => c.text), first.map((c) => c.text));
  });

  test('never returns a parent verbatim, a near-duplicate of a project document, or two near-duplicates of each other', () => {
    const keys = first.map((c) => nearDuplicateKey(c.text));
    assert.equal(new Set(keys).size, keys.length);
    for (const [i, key] of keys.entries()) assert.ok(!projectKeys.has(key), `candidate ${i} (${first[i].method}) is a near-copy of a document`);
    for (const c of first) for (const p of c.parents) assert.notEqual(c.text, classDocuments[p - 1].text);
  });

  test('records each method and its parents, which are documents of the class', () => {
    const methods = new Set(first.map((c) => c.method));
    assert.deepEqual([...methods].sort(), ['distinctive-words', 'eda', 'sentence-recombination']);
    for (const c of first) {
      assert.ok(c.parents.every((p) => p >= 1 && p <= classDocuments.length), `parents ${c.parents.join(',')}`);
      assert.equal(new Set(c.parents).size, c.parents.length);
      if (c.method === 'sentence-recombination') assert.ok(c.parents.length === 2 || c.parents.length === 3);
      else if (c.method === 'eda') assert.equal(c.parents.length, 1);
      else assert.equal(c.parents.length, 2, 'distinctive words come from one donor document');
    }
  });

  test('recombination only uses sentences of its parents, in an order no parent contradicts', () => {
    for (const c of first.filter((x) => x.method === 'sentence-recombination')) {
      const parentSentences = c.parents.map((p) => splitSentences(classDocuments[p - 1].text).map((s) => s.text));
      const sentences = splitSentences(c.text).map((s) => s.text);
      const sources = sentences.map((s) => parentSentences.findIndex((ps) => ps.includes(s)));
      assert.ok(sources.every((s) => s >= 0), 'every sentence comes from a parent');
      // Within one parent, the sentences keep their original order (checked on sentences that occur once in all parents).
      const occurrences = new Map<string, number>();
      for (const s of parentSentences.flat()) occurrences.set(s, (occurrences.get(s) ?? 0) + 1);
      for (const [p, ps] of parentSentences.entries()) {
        const positions = sentences.filter((s, i) => sources[i] === p && occurrences.get(s) === 1).map((s) => ps.indexOf(s));
        assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
      }
    }
  });

  test('distinctive-word insertion adds words the base lacked, all found in the donor', () => {
    for (const c of first.filter((x) => x.method === 'distinctive-words')) {
      const [base, donor] = c.parents.map((p) => classDocuments[p - 1].text.toLowerCase());
      const added = c.text.toLowerCase().split(/\s+/).filter((w) => !base.includes(w));
      assert.ok(added.length >= 1 && added.every((w) => donor.includes(w)), `added ${added.join(', ')}`);
    }
  });

  test('a class of one document gets no recombinations, and fewer candidates than asked when no more are distinct', () => {
    const one = generateCandidates({ classDocuments: [{ id: 1, text: 'Short note here.' }], backgroundTexts: [], count: 50, seed: 1, isExistingNearDuplicate: () => false });
    assert.ok(one.length < 50);
    assert.ok(one.every((c) => c.method === 'eda' && c.parents[0] === 1));
  });
});

describe('review in a project', () => {
  test('pending and rejected candidates never train; accepted ones do, marked synthetic with their parents', async () => {
    const store = await smallProject('review');
    const before = store.trainingExamples().length;
    const rows = store.generateSynthetic({ label: 'hard_ham', count: 6, seed: 3 });
    assert.equal(rows.length, 6);
    const hardHamIds = new Set(store.queryDocuments({ label: 'hard_ham', limit: 100 }).documents.map((d) => d.id));
    for (const row of rows) {
      assert.deepEqual(row.labels, ['hard_ham']);
      assert.equal(row.synthetic.status, 'pending');
      assert.ok(row.synthetic.parents.every((p) => hardHamIds.has(p)));
      assert.equal(row.parentSnippets.length, row.synthetic.parents.length);
    }
    assert.equal(store.trainingExamples().length, before, 'pending candidates are not training examples');

    store.reviewSynthetic(rows[0].id, 'rejected');
    const accepted = store.reviewSynthetic(rows[1].id, 'accepted');
    assert.equal(accepted.synthetic.status, 'accepted');
    const examples = store.trainingExamples();
    assert.equal(examples.length, before + 1);
    const synthetic = examples.filter((e) => e.source === 'synthetic');
    assert.deepEqual(synthetic.map((e) => [e.documentId, e.parents]), [[rows[1].id, rows[1].synthetic.parents]]);
    assert.deepEqual(store.listSynthetic({ status: 'pending' }).map((r) => r.id), rows.slice(2).map((r) => r.id));
    assert.equal(store.listSynthetic({ label: 'ham' }).length, 0);
    store.close();
  });

  test('edited text is saved on accept, and refused when it copies another document', async () => {
    const store = await smallProject('edit');
    const [row] = store.generateSynthetic({ label: 'hard_ham', count: 1, seed: 5 });
    const copy = store.queryDocuments({ label: 'ham', limit: 1 }).documents[0];
    assert.throws(() => store.reviewSynthetic(row.id, 'accepted', `  ${copy.text.toUpperCase()} `), new RegExp(`copy of document ${copy.id}`));
    assert.equal(store.listSynthetic({ status: 'pending' }).length, 1, 'a refused edit changes nothing');
    const edited = store.reviewSynthetic(row.id, 'accepted', 'Your conference registration is confirmed; the agenda follows.');
    assert.equal(edited.text, 'Your conference registration is confirmed; the agenda follows.');
    assert.equal(edited.synthetic.edited, true);
    assert.ok(store.trainingExamples().some((e) => e.documentId === row.id && e.text === edited.text));
    assert.throws(() => store.reviewSynthetic(copy.id, 'accepted'), /not a synthetic example/);
    store.close();
  });

  test('generating again without a seed gives new candidates, none a near-copy of any document', async () => {
    const store = await smallProject('again');
    const first = store.generateSynthetic({ label: 'hard_ham', count: 8 });
    const second = store.generateSynthetic({ label: 'hard_ham', count: 8 });
    assert.equal(first.length + second.length, 16);
    const all = store.queryDocuments({ limit: 1000 }).documents;
    assert.equal(new Set(all.map((d) => nearDuplicateKey(d.text))).size, all.length);
    assert.throws(() => store.generateSynthetic({ label: 'nope', count: 3 }), /No label "nope"/);
    assert.throws(() => store.generateSynthetic({ label: 'hard_ham', count: 0 }), /from 1 to 200/);
    store.close();
  });
});

describe('leakage guard in the training split', () => {
  const real: TrainExample[] = [...ham.slice(0, 30), ...hardHam].map((e, i) => ({ id: i + 1, text: e.text, contentHash: `h${i}`, labels: [e.label] }));
  const job = (examples: TrainExample[]) => ({
    task: 'single_label' as const,
    labels: ['ham', 'hard_ham'],
    examples,
    settings: { ...DEFAULT_TRAIN_SETTINGS, seed: 4 },
    encoder: 'use-lite',
    cacheFile: join(dir, 'unused.sqlite'),
    modelDir: join(dir, 'unused-model'),
  });

  test('synthetic examples train only when every parent is in the training split', () => {
    const base = prepare(job(real));
    const idAt = (i: number) => base.all[i].id;
    const trainIds = base.split.train.map(idAt);
    const heldOut = [...base.split.val, ...base.split.test].map(idAt);
    assert.ok(heldOut.length > 0 && trainIds.length > 1);
    const synthetic: TrainExample[] = [
      { id: 'safe', text: 'made from training documents only', contentHash: 's1', labels: ['hard_ham'], synthetic: true, parents: trainIds.slice(0, 2) },
      { id: 'leaky', text: 'made partly from a held-out document', contentHash: 's2', labels: ['hard_ham'], synthetic: true, parents: [trainIds[0], heldOut[0]] },
      { id: 'test-only', text: 'made from a held-out document', contentHash: 's3', labels: ['hard_ham'], synthetic: true, parents: [heldOut[heldOut.length - 1]] },
    ];
    const prepared = prepare(job([...real, ...synthetic]));
    assert.deepEqual(prepared.split.val.map((i) => prepared.all[i].id), base.split.val.map(idAt), 'synthetic examples do not move the real split');
    const trained = prepared.split.train.map((i) => prepared.all[i].id);
    assert.ok(trained.includes('safe'));
    assert.ok(!trained.includes('leaky') && !trained.includes('test-only'));
    assert.ok([...prepared.split.val, ...prepared.split.test].every((i) => !prepared.all[i].synthetic), 'synthetic examples never evaluate');
    assert.deepEqual(prepared.synthetic, { used: 1, droppedForLeakage: 2 });
    // The strategy's prior reads the real training and validation examples: synthetic ones and test ones do not count.
    assert.deepEqual(prepared.labeledCounts, base.labeledCounts);
    assert.equal(prepared.labeledDocuments, real.length - base.split.test.length);
  });
});

describe('app service channels', () => {
  test('generate, list and review over the service, with argument checks', async () => {
    const service = createAppService({ dataDir: join(dir, 'service-data'), samplePath: defaultSamplePath() });
    try {
      const csv = join(dir, 'service.csv');
      writeFileSync(csv, toCsv(['body', 'category'], [...ham.slice(0, 10), ...hardHam.slice(0, 5)].map((e) => [e.text, e.label])));
      await service.handle('projects:create', { name: 'service', task: 'single_label' });
      await service.handle('import:run', { paths: [csv], options: { textCol: 'body', labelCol: 'category' } });
      const rows = await service.handle('synthetic:generate', { label: 'hard_ham', count: 3, seed: 1 });
      assert.equal(rows.length, 3);
      const reviewed = await service.handle('synthetic:review', { documentId: rows[0].id, status: 'accepted' });
      assert.equal(reviewed.synthetic.status, 'accepted');
      const listed: SyntheticExample[] = await service.handle('synthetic:list', { status: 'pending' });
      assert.deepEqual(listed.map((r) => r.id), [rows[1].id, rows[2].id]);
      await assert.rejects(service.handle('synthetic:review', { documentId: rows[1].id, status: 'pending' } as never), /synthetic:review\.status: expected one of 'accepted', 'rejected'/);
      await assert.rejects(service.handle('synthetic:generate', { label: 'hard_ham', count: 2.5 } as never), /synthetic:generate\.count: expected an integer/);
    } finally {
      await service.close();
    }
  });
});

describe('finetune synthetic, then finetune train', () => {
  const bin = fileURLToPath(new URL('../bin/finetune.js', import.meta.url));
  const cli = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'synthetic', ...args], { cwd: dir, env: { ...process.env, FINETUNE_DEBUG: '' } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  test('generate, list, accept and reject on a real project file', async () => {
    (await smallProject('cli')).close();
    const project = join(dir, 'cli.ftproj');
    const generated = await cli('generate', '--project', project, '--label', 'hard_ham', '--count', '4', '--seed', '9', '--json');
    assert.equal(generated.code, 0, generated.stderr);
    const rows = JSON.parse(generated.stdout) as SyntheticExample[];
    assert.equal(rows.length, 4);
    const accepted = await cli('accept', '--project', project, '--id', String(rows[0].id), '--id', String(rows[1].id));
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, /2 accepted\./);
    assert.equal((await cli('reject', '--project', project, '--id', String(rows[2].id))).code, 0);
    const pending = await cli('list', '--project', project, '--status', 'pending');
    assert.match(pending.stdout, new RegExp(`#${rows[3].id}\\s+pending\\s+hard_ham\\s+${rows[3].synthetic.method} of #`));
    assert.match(pending.stdout, /1 synthetic examples\./);
    const wrong = await cli('accept', '--project', project, '--id', 'x');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--id must be a whole number/);
    const store = ProjectStore.open(project);
    assert.deepEqual(store.trainingExamples().filter((e) => e.source === 'synthetic').map((e) => e.documentId), [rows[0].id, rows[1].id]);
    store.close();
  });

  test('a real training run keeps synthetic examples with held-out parents out, and metrics.json and report.md say how many', async () => {
    const store = await smallProject('train');
    const rows = store.generateSynthetic({ label: 'hard_ham', count: 12, seed: 2 });
    for (const row of rows) store.reviewSynthetic(row.id, 'accepted');
    store.close();
    const out = join(dir, 'train-run');
    const train = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const args = ['train', '--project', join(dir, 'train.ftproj'), '--strategy', 'synthetic+oversample', '--epochs', '5', '--no-lexical', '--seed', '1', '--cache', join(dir, 'cache.sqlite'), '--out', out];
      execFile(process.execPath, [bin, ...args], { cwd: dir }, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }));
    });
    assert.equal(train.code, 0, train.stderr);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as RunMetrics;
    const reopened = ProjectStore.open(join(dir, 'train.ftproj'));
    const split = reopened.runSplit(reopened.listRuns()[0].id)!;
    reopened.close();
    const trainIds = new Set(split.train);
    const kept = rows.filter((r) => trainIds.has(r.id));
    assert.ok(kept.every((r) => r.synthetic.parents.every((p) => trainIds.has(p))), 'every trained synthetic example has all its parents in train');
    const leaky = rows.filter((r) => !r.synthetic.parents.every((p) => trainIds.has(p)));
    assert.ok(leaky.length > 0, 'this seed puts some parents in validation or test');
    assert.ok(leaky.every((r) => !trainIds.has(r.id) && !split.val.includes(r.id) && !split.test.includes(r.id)));
    assert.deepEqual(metrics.synthetic, { used: kept.length, droppedForLeakage: leaky.length });
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), new RegExp(`synthetic examples \\(accepted\\): ${kept.length} trained, ${leaky.length} left out`));
  });
});
