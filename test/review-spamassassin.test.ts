// The whole SpamAssassin corpus (6,046 raw .eml files in ham/ hard_ham/ spam/ folders) imported into a project:
// the review's counts and ratio must match the corpus once duplicate bodies are dropped.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { after, test } from 'node:test';
import { extractDocument } from '../electron/backend/import/documents.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { loadSpamAssassin, SPAM_LABELS, writeSpamAssassinFolder, type SpamLabel } from './fixtures/corpora.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-review-spam-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const normalise = (text: string) => text.normalize('NFC').trim();

test('SpamAssassin as 3 classes: review counts and ratio against the corpus without duplicate bodies', async () => {
  const mail = join(dir, 'mail');
  const written = writeSpamAssassinFolder(mail, { includeDuplicates: true });
  const corpus = loadSpamAssassin();
  assert.equal(written.length, 6046);

  const store = ProjectStore.create(join(dir, 'spam.ftproj'), { name: 'spam', task: 'single_label' });
  const report = await store.importSources([mail], {});
  assert.equal(report.imported + report.skipped + report.failed, written.length);
  assert.equal(report.failed, 0);
  assert.deepEqual(report.labelsCreated, SPAM_LABELS);

  const labelOf = (path: string) => relative(mail, path).split(sep)[0] as SpamLabel;
  const pathByName = new Map(written.map((path) => [basename(path), path]));
  const fileOf = (m: { group: string; id: string }) => pathByName.get(`${m.group}-${m.id}.eml`) ?? 'not written';

  // Every body the corpus drops as a duplicate, the import skips as the same text.
  const skipped = new Map(report.issues.filter((i) => i.status === 'skipped').map((i) => [i.file, i.reason]));
  for (const m of corpus.duplicates) assert.match(skipped.get(fileOf(m)) ?? 'not skipped', /^same text as /, fileOf(m));

  // The import sees decoded text (quoted-printable, HTML to text), so a few more messages turn out empty or equal
  // to an earlier one; each such claim is checked on the extracted texts.
  const duplicateFiles = new Set(corpus.duplicates.map(fileOf));
  const extraSkips = report.issues.filter((i) => !duplicateFiles.has(i.file));
  for (const issue of extraSkips) {
    const text = normalise((await extractDocument(issue.file, {})).text);
    const kept = /^same text as (\S+)/.exec(issue.reason)?.[1];
    if (kept) assert.equal(text, normalise((await extractDocument(join(mail, kept), {})).text), issue.file);
    else assert.match(issue.reason, /^empty text/, issue.file);
    assert.equal(text === '', !kept, issue.file);
  }

  const expected = Object.fromEntries(SPAM_LABELS.map((label) => [label, 0])) as Record<SpamLabel, number>;
  for (const e of corpus.all) expected[e.label]++;
  for (const issue of extraSkips) expected[labelOf(issue.file)]--;
  const review = store.review();
  store.close();

  assert.deepEqual(
    review.classes.map((c) => [c.label, c.count]),
    SPAM_LABELS.map((label) => [label, expected[label]]),
  );
  assert.equal(review.documents, corpus.all.length - extraSkips.length);
  assert.equal(review.unlabeled, 0);
  // Decoding explains a few percent at most (212 of 5,875: spam campaigns that differ only in their links).
  assert.ok(review.documents >= 0.95 * corpus.all.length, `${review.documents} of ${corpus.all.length}`);
  assert.equal(review.imbalanceRatio, expected.ham / expected.hard_ham);
  assert.equal(review.minorityShare, expected.hard_ham / (expected.ham + expected.hard_ham + expected.spam));
  assert.ok(review.recommendation);
  assert.ok(review.warnings.some((w) => w.kind === 'empty_texts_skipped'));
});
