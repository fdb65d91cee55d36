// A sentence-pair project through the wizard: the mapping step names the second text's column, Label & review shows
// both texts side by side, a pair model trains and is tested, and Use classifies a pasted pair — the page shows
// what the backend computed.
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../shared/csv.js';
import { brownPairs } from '../test/fixtures/brown-pairs.js';
import { callApi, heading, screenshot, useTestHost } from './support/wizard.js';

const testHost = useTestHost();
const steps = (page: Page) => page.getByRole('navigation', { name: 'Wizard steps' });

test('sentence pairs: second-text column, side-by-side labeling, training, and a pasted pair', async ({ page }) => {
  const host = testHost();
  const { train } = brownPairs({ perFile: 2, othersPerSame: 2 });
  const pairs = train.slice(0, 160);
  const file = join(mkdtempSync(join(tmpdir(), 'finetune-e2e-pairs-')), 'passages.csv');
  writeFileSync(file, toCsv(['first', 'second', 'label'], pairs.map((p) => [p.a, p.b, p.label])));

  await page.goto(host.url);
  await page.getByLabel('Name').fill('Passage pairs');
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');
  await page.getByLabel('Add documents: choose files').setInputFiles(file);
  await expect(page.getByRole('heading', { name: 'Preview of passages.csv' })).toBeVisible();
  await page.getByLabel('Text column').selectOption('first');
  await page.getByLabel('Label column').selectOption('label');
  await page.getByLabel('Second text (sentence pairs)').selectOption('second');
  await expect(page.locator('th.mapped')).toHaveCount(3);
  await screenshot(page, '40-pairs-mapping');
  await page.getByRole('button', { name: 'Import 1 file' }).click();
  // A pair is the document: pairs that share a first text are all kept (a pair and its swap are one).
  const distinct = new Set(pairs.map((p) => [p.a, p.b].sort().join('\u0000'))).size;
  await expect(page.getByTestId('import-report').getByTestId('imported-count')).toHaveText(String(distinct));
  await expect(page.getByRole('status').filter({ hasText: 'Each document is now a pair' })).toBeVisible();
  expect((await callApi(host.url, 'projects:current', undefined))!.project.pairColumn).toBe('second');

  await steps(page).getByRole('button', { name: /Label & review/ }).click();
  await heading(page, 'Label & review');
  const [first] = (await callApi(host.url, 'documents:query', { limit: 1 })).documents;
  await expect(page.getByTestId('doc-second')).toHaveText(String(first.metadata.second));
  await screenshot(page, '41-pairs-label');

  await steps(page).getByRole('button', { name: /Strategy/ }).click();
  await heading(page, 'Training strategy');
  await page.locator('label[data-strategy="weighted"]').click();
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByTestId('train-status')).toHaveAttribute('data-status', 'completed', { timeout: 10 * 60_000 });
  const runs = await callApi(host.url, 'runs:list', undefined);
  const runId = Math.max(...runs.map((r) => r.id));
  const predictions = await callApi(host.url, 'runs:predictions', { runId });
  expect(predictions.length).toBeGreaterThan(0);
  expect(predictions.every((row) => typeof row.pair === 'string' && row.pair.length > 0)).toBe(true);

  await steps(page).getByRole('button', { name: /Use/ }).click();
  await heading(page, 'Use the model');
  await page.getByLabel('The first text of the pair').fill(pairs[0].a);
  await page.getByLabel('The second text (second)').fill(pairs[0].b);
  await page.getByRole('button', { name: 'Classify', exact: true }).click();
  const expected = await callApi(host.url, 'predict:texts', { runId, texts: [pairs[0].a], pairs: [pairs[0].b] });
  await expect(page.getByTestId('predictions').getByTestId('predicted')).toHaveText(expected[0].predicted.join(', '));
  await expect(page.getByTestId('predictions').getByTestId('pair-text')).toContainText(pairs[0].b.slice(0, 30));
  // Why this label: both texts' words are measured, each with the other kept whole, and marked in place.
  await page.getByTestId('predictions').getByRole('button', { name: 'Why this label?' }).click();
  await expect(page.getByTestId('predictions').getByTestId('explanation')).toBeVisible({ timeout: 2 * 60_000 });
  const explained = await callApi(host.url, 'predict:explain', { runId, text: pairs[0].a, pair: pairs[0].b });
  expect(explained.explanation!.pairSpans!.length).toBeGreaterThan(0);
  await expect(page.getByTestId('predictions').getByTestId('pair-text').locator('mark').first()).toBeVisible();
  await screenshot(page, '42-pairs-use');
});
