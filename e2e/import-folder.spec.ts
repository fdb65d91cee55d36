// A folder of label subfolders keeps its structure when given to the browser page: mail/ham/*.eml,
// mail/spam/*.eml ... are rebuilt on the host under uploads/<batch>/ and imported as one folder, so the
// subfolders become the labels (as `finetune import mail/` does on the command line).
import { expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { writeSpamAssassinFolder } from '../test/fixtures/corpora.js';
import { expectNoAxeViolations } from './support/axe.js';
import { callApi, heading, screenshot, useTestHost } from './support/wizard.js';

const testHost = useTestHost();
const PER_LABEL = 6;

test('a picked folder of label subfolders imports with its subfolders as labels', async ({ page }) => {
  const host = testHost();
  const mail = join(mkdtempSync(join(tmpdir(), 'finetune-e2e-folder-')), 'mail');
  const written = writeSpamAssassinFolder(mail, { perLabel: PER_LABEL });
  const expected: Record<string, number> = {};
  for (const path of written) {
    const label = relative(mail, path).split(sep)[0];
    expected[label] = (expected[label] ?? 0) + 1;
  }
  expect(Object.keys(expected).length, 'the fixture has several label folders').toBeGreaterThanOrEqual(2);

  await page.goto(host.url);
  await heading(page, 'Projects');
  await page.getByLabel('Name', { exact: true }).fill('Mail folders');
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');

  // The folder picker (<input webkitdirectory>): every file carries its path inside the folder, as a drop does.
  await page.getByLabel('Add documents: choose a folder').setInputFiles(mail);
  const staged = page.getByRole('region', { name: 'Ready to import' });
  await expect(staged).toContainText(`mail/ (folder, ${written.length} files)`);
  await expect(page.getByTestId('folder-labels')).toContainText(Object.keys(expected).sort().join(', '));
  await expectNoAxeViolations(page, 'import, folder preview');
  await screenshot(page, '61-import-folder');
  await page.getByRole('button', { name: 'Import 1 source' }).click();
  await expect(page.getByTestId('imported-count')).toHaveText(String(written.length));

  // The backend has one label per subfolder with its file count, and no file was flattened into an unlabeled one.
  const labels = await callApi(host.url, 'labels:list', undefined);
  expect(Object.fromEntries(labels.map((l) => [l.name, l.count]))).toEqual(expected);
  const review = await callApi(host.url, 'review:imbalance', undefined);
  expect(review.unlabeled).toBe(0);
  // Each document remembers its path inside the imported folder: <label>/<file>.
  const docs = await callApi(host.url, 'documents:query', { limit: 1 });
  expect(docs.documents[0].sourceRef).toMatch(new RegExp(`^(${Object.keys(expected).join('|')})/`));

  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /Labels/ }).click();
  await heading(page, 'Labels');
  for (const [label, n] of Object.entries(expected)) {
    await expect(page.locator(`tr[data-label="${label}"] [data-testid="label-count"]`)).toHaveText(String(n));
  }
});
