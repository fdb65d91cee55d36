// Bad files say so the moment they are added, beside their own name and without any path on the host: a fake PDF and
// an empty CSV are flagged and left out of the import, and a CSV with an unterminated quote is previewed with a warning
// saying where the quote opens. The good file imports on its own.
import { expect, test } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoAxeViolations } from './support/axe.js';
import { heading, screenshot, useTestHost } from './support/wizard.js';

const testHost = useTestHost();

test('a fake PDF and an empty CSV are flagged at once, without paths; an open quote is flagged in the preview', async ({ page }) => {
  const host = testHost();
  const folder = mkdtempSync(join(tmpdir(), 'finetune-e2e-bad-'));
  writeFileSync(join(folder, 'scan.pdf'), 'this is not a PDF at all');
  writeFileSync(join(folder, 'empty.csv'), '');
  writeFileSync(join(folder, 'quotes.csv'), 'text,label\n"Meeting moved to Tuesday",ham\n"WIN a prize, click,spam\nLunch today,ham\n');

  await page.goto(host.url);
  await page.getByLabel('Name').fill('Bad files');
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');
  await page.getByLabel('Add documents: choose files').setInputFiles(['scan.pdf', 'empty.csv', 'quotes.csv'].map((f) => join(folder, f)));
  const problems = page.getByTestId('file-problem');
  await expect(problems).toHaveCount(2);
  await expect(problems.nth(0)).toContainText('scan.pdf: not a readable PDF');
  await expect(problems.nth(1)).toContainText('empty.csv: empty file (0 bytes)');
  for (const text of await problems.allInnerTexts()) {
    expect(text).not.toContain('/uploads/');
    expect(text).not.toContain(host.dataDir);
  }
  await expect(page.getByRole('heading', { name: 'Preview of quotes.csv' })).toBeVisible();
  await expect(page.getByTestId('preview-warning')).toContainText('unterminated quote: a quoted field starting on line 3 is never closed');
  await screenshot(page, '72-bad-files');
  await expectNoAxeViolations(page, 'import, bad files');
  // Only the readable file is imported.
  await page.getByRole('button', { name: 'Import 1 file' }).click();
  await expect(page.getByTestId('import-report')).toBeVisible();
  await expect(page.getByTestId('imported-count')).toHaveText('1');
});

test('a huge single-line file says that it becomes one document of which the model reads only the beginning', async ({ page }) => {
  const host = testHost();
  const folder = mkdtempSync(join(tmpdir(), 'finetune-e2e-long-'));
  // 1.2 million characters and not one line break, as when many documents were pasted together.
  writeFileSync(join(folder, 'everything.txt'), 'Please find the quarterly figures attached. '.repeat(28_000));

  await page.goto(host.url);
  await page.getByLabel('Name').fill('One long line');
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');
  await page.getByLabel('Add documents: choose files').setInputFiles(join(folder, 'everything.txt'));
  const warning = page.getByTestId('preview-warning');
  await expect(warning).toContainText('this file is one line of 1.2 million characters with no line breaks: it becomes one document');
  await expect(warning).toContainText('the language model reads only its beginning');
  await screenshot(page, '73-one-long-line');
  await expectNoAxeViolations(page, 'import, one long line');
  // The import report says it again, beside the file's name.
  await page.getByRole('button', { name: 'Import 1 file' }).click();
  await expect(page.getByTestId('imported-count')).toHaveText('1');
  await expect(page.getByTestId('import-report')).toContainText('everything.txt: this file is one line of 1.2 million characters');
  expect(await page.getByTestId('import-report').innerText()).not.toContain(host.dataDir);
});
