// Label-error detection: confident learning on hand-made probabilities (the thresholds, the confident joint, the
// ranking), then `finetune label-issues` on real SpamAssassin e-mails with labels flipped on purpose.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toCsv } from '../shared/csv.js';
import { confidentLearning } from '../shared/label-issues.js';
import { createRng, shuffleInPlace } from '../shared/random.js';
import { loadSpamAssassin } from './fixtures/corpora.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'finetune-label-issues-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('confident learning', () => {
  it('thresholds each class at its mean self-confidence and lists the confident off-diagonal, most certain first', () => {
    const p = [
      [0.9, 0.1],
      [0.8, 0.2],
      [0.2, 0.8], // labeled 0, confidently 1
      [0.3, 0.7],
      [0.4, 0.6],
      [0.95, 0.05], // labeled 1, confidently 0
    ];
    const given = [0, 0, 0, 1, 1, 1];
    const found = confidentLearning(p, given, 2);
    // t0 = (0.9 + 0.8 + 0.2) / 3, t1 = (0.7 + 0.6 + 0.05) / 3
    assert.ok(Math.abs(found.thresholds[0] - 1.9 / 3) < 1e-12);
    assert.ok(Math.abs(found.thresholds[1] - 0.45) < 1e-12);
    assert.deepEqual(found.issues.map((i) => [i.index, i.given, i.suggested]), [[5, 1, 0], [2, 0, 1]]);
    assert.ok(Math.abs(found.issues[0].score - 0.9) < 1e-12);
    assert.deepEqual(found.confidentJoint, [[2, 1], [1, 2]]);
  });

  it('lists nothing when every label is the confident one', () => {
    assert.deepEqual(confidentLearning([[0.9, 0.1], [0.1, 0.9]], [0, 1], 2).issues, []);
  });
});

describe('finetune label-issues (CLI)', () => {
  it('finds most of the labels flipped on purpose in real e-mails, and few others', async () => {
    const rng = createRng(5);
    const mail = shuffleInPlace(loadSpamAssassin().train.filter((e) => e.label !== 'hard_ham'), rng).slice(0, 500);
    const flipped = new Set(mail.map((_, i) => i).slice(0, 20));
    const rows = mail.map((e, i) => [e.text.slice(0, 1500), flipped.has(i) ? (e.label === 'ham' ? 'spam' : 'ham') : e.label]);
    writeFileSync(join(dir, 'mail.csv'), toCsv(['text', 'label'], rows));
    const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [bin, 'label-issues', '--data', 'mail.csv', '--text-col', 'text', '--json', '--cache', join(dir, 'cache.sqlite')], { cwd: dir, maxBuffer: 1 << 26 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })),
    );
    assert.equal(result.code, 0, result.stderr);
    const listed = JSON.parse(result.stdout) as Array<{ documentId: string; given: string; suggested: string; score: number }>;
    // documentId is "<file>:<row>", rows counted from 1 after the header.
    const rowOf = (id: string) => Number(id.split(':').pop()) - 1;
    const hits = listed.filter((l) => flipped.has(rowOf(l.documentId))).length;
    assert.ok(hits >= 12, `found ${hits} of 20 flipped labels (listed ${listed.length})`);
    assert.ok(hits / listed.length >= 0.6, `precision ${hits}/${listed.length}`);
    for (const l of listed) assert.notEqual(l.given, l.suggested);
    assert.ok(listed.every((l, i) => i === 0 || listed[i - 1].score >= l.score), 'ranked by score');
  });
});
