// Active learning: the ranking on hand-made probabilities (margin, entropy, the rare-class boost, the reason in
// words), then `finetune suggest` on a real project: trained on some e-mails, it ranks the unlabeled rest.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { suggestNext } from '../shared/active-learning.js';
import { toCsv } from '../shared/csv.js';
import { createRng, shuffleInPlace } from '../shared/random.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { loadSpamAssassin } from './fixtures/corpora.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'finetune-suggest-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('suggestNext', () => {
  const labels = ['ham', 'spam', 'hard_ham'];
  const p = [
    [0.98, 0.01, 0.01],
    [0.48, 0.44, 0.08],
    [0.5, 0.1, 0.4],
    [0.34, 0.33, 0.33],
  ];

  it('puts the documents the model is most torn about first, saying between which classes', () => {
    const ranked = suggestNext(p, labels, [100, 100, 100]);
    assert.deepEqual(ranked.map((s) => s.index), [3, 1, 2, 0]);
    assert.equal(ranked[1].reason, 'the model is torn between ham 48% and spam 44%');
  });

  it('boosts documents that may belong to a rare class', () => {
    const ranked = suggestNext(p, labels, [500, 400, 20]);
    assert.equal(ranked[1].index, 2, 'the hard_ham-leaning document moves ahead of the ham/spam one');
    assert.match(ranked[1].reason, /; it may be a rare hard_ham$/);
  });

  it('ranks by entropy when asked, and returns at most count', () => {
    // Entropy: 0.943 nats for [0.5, 0.1, 0.4] against 0.915 for [0.48, 0.44, 0.08].
    assert.deepEqual(suggestNext(p, labels, [1, 1, 1], { measure: 'entropy', count: 2 }).map((s) => s.index), [3, 2]);
  });
});

describe('finetune suggest (CLI)', () => {
  it('ranks the unlabeled documents of a trained project with the latest run\'s model', async () => {
    const mail = shuffleInPlace([...loadSpamAssassin().train], createRng(3)).slice(0, 260);
    const rows = mail.map((e, i) => [e.text.slice(0, 1200), i < 200 ? e.label : '']);
    writeFileSync(join(dir, 'mail.csv'), toCsv(['text', 'label'], rows));
    const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');
    const finetune = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [bin, ...args], { cwd: dir, maxBuffer: 1 << 26 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })),
      );
    const imported = await finetune('import', '--project', 'p.ftproj', '--data', 'mail.csv', '--text-col', 'text', '--label-col', 'label');
    assert.equal(imported.code, 0, imported.stderr);
    const early = await finetune('suggest', '--project', 'p.ftproj');
    assert.notEqual(early.code, 0);
    assert.match(early.stderr, /No trained model yet: train one first/);
    const trained = await finetune('train', '--project', 'p.ftproj', '--strategy', 'weighted', '--out', 'run', '--cache', join(dir, 'cache.sqlite'));
    assert.equal(trained.code, 0, trained.stderr);
    const result = await finetune('suggest', '--project', 'p.ftproj', '--count', '5', '--json');
    assert.equal(result.code, 0, result.stderr);
    const listed = JSON.parse(result.stdout) as Array<{ documentId: number; score: number; reason: string }>;
    assert.equal(listed.length, 5);
    const store = ProjectStore.openForReading(join(dir, 'p.ftproj'));
    try {
      for (const s of listed) assert.deepEqual(store.getDocument(s.documentId).labels, [], `document ${s.documentId} is unlabeled`);
    } finally {
      store.close();
    }
    assert.ok(listed.every((s, i) => i === 0 || listed[i - 1].score >= s.score));
    assert.match(listed[0].reason, /^the model is torn between \S+ \d+% and \S+ \d+%/);
  });
});
