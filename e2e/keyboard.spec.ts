// Labeling with the keyboard only: Tab, number keys and arrows; every label is saved and survives a reload.
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../shared/csv.js';
import { callApi, screenshot, useTestHost } from './support/wizard.js';

// An unlabeled project with three labels, set up through the API the page uses.
const testHost = useTestHost(async (host) => {
  await callApi(host.url, 'projects:create', { name: 'Keyboard labeling', task: 'single_label' });
  const texts = ['My parcel never arrived and nobody answers.', 'How do I change my delivery address?', 'Great service, thank you!', 'The invoice is wrong again.', 'Can I pay by bank transfer?'];
  const file = join(mkdtempSync(join(tmpdir(), 'finetune-e2e-')), 'tickets.csv');
  writeFileSync(file, toCsv(['text'], texts.map((t) => [t])));
  await callApi(host.url, 'import:run', { paths: [file], options: { textCol: 'text' } });
  for (const name of ['complaint', 'question', 'praise']) await callApi(host.url, 'labels:add', { name });
});

/** Tab until the focused element matches, as a keyboard user would (bounded, so a missing control fails). */
async function tabTo(page: Page, name: RegExp): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    if (name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${name}`);
}

test('label documents with the keyboard only, saved across a reload', async ({ page }) => {
  const host = testHost();
  await page.goto(host.url);
  await tabTo(page, /Label & review/);
  // The focused control shows a visible focus ring.
  expect(await page.evaluate(() => getComputedStyle(document.activeElement!).boxShadow)).not.toBe('none');
  await page.keyboard.press('Enter');
  const card = page.getByTestId('doc-card');
  await expect(card).toContainText('Document 1 of 5');
  await expect(card).toContainText('(unlabeled documents)');

  // 1 labels the first document "complaint" and moves on; 2 labels the second "question".
  await page.keyboard.press('1');
  await expect(page.getByTestId('save-state')).toHaveText('Saved: complaint');
  await expect(card).toContainText('Document 2 of 5');
  await page.keyboard.press('2');
  await expect(page.getByTestId('save-state')).toHaveText('Saved: question');
  await expect(card).toContainText('Document 3 of 5');
  // Back with the arrow key, and correct the second document to "praise" with 3.
  await page.keyboard.press('ArrowLeft');
  await expect(card).toContainText('Document 2 of 5');
  await page.keyboard.press('3');
  await expect(page.getByTestId('save-state')).toHaveText('Saved: praise');
  // J moves on without labeling; then Tab to a label button and press Enter, as a button.
  await page.keyboard.press('j');
  await expect(card).toContainText('Document 4 of 5');
  await tabTo(page, /^2\s*question$/);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('save-state')).toHaveText('Saved: question');
  await screenshot(page, '41-keyboard-labeling');

  const expected = new Map([
    ['My parcel never arrived and nobody answers.', ['complaint']],
    ['How do I change my delivery address?', ['praise']],
    ['Great service, thank you!', []],
    ['The invoice is wrong again.', ['question']],
    ['Can I pay by bank transfer?', []],
  ]);
  const stored = await callApi(host.url, 'documents:query', { limit: 10 });
  expect(new Map(stored.documents.map((d) => [d.text, d.labels]))).toEqual(expected);

  // After a reload the page shows what was saved: two documents are still unlabeled.
  await page.reload();
  await expect(card).toContainText('Document 1 of 2');
  await page.getByLabel('Show').selectOption('all');
  await expect(card).toContainText('Document 1 of 5');
  for (const [, labels] of expected) {
    await expect(page.getByTestId('doc-labels')).toHaveText(labels.length ? labels.join(', ') : 'no label');
    await page.keyboard.press('ArrowRight');
  }
});
