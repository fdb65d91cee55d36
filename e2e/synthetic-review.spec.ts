// Reviewing synthetic minority examples in bulk: a project with a class of 8 real e-mails, 20 candidates generated
// for it, a compact list, "accept all shown" and "reject all shown" — each recorded by the backend, counted apart
// from the real documents.
import { expect, test } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../shared/csv.js';
import { loadSpamAssassin } from '../test/fixtures/corpora.js';
import { expectNoAxeViolations } from './support/axe.js';
import { callApi, heading, screenshot, useTestHost } from './support/wizard.js';

const testHost = useTestHost();

test('synthetic examples: generate, compact list, accept all shown, reject all shown', async ({ page }) => {
  const host = testHost();
  const mail = loadSpamAssassin().train;
  const pick = (label: string, n: number) => mail.filter((e) => e.label === label).slice(0, n).map((e) => [e.text.slice(0, 600), label]);
  const file = join(mkdtempSync(join(tmpdir(), 'finetune-e2e-synthetic-')), 'mail.csv');
  writeFileSync(file, toCsv(['text', 'label'], [...pick('ham', 40), ...pick('spam', 30), ...pick('hard_ham', 8)]));

  await page.goto(host.url);
  await page.getByLabel('Name').fill('Small class');
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');
  await callApi(host.url, 'import:run', { paths: [file], options: { textCol: 'text', labelCol: 'label' } });
  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /Balance/ }).click();
  await heading(page, 'Balance between classes');
  const panel = page.locator('[data-testid="synthetic-review"][data-label="hard_ham"]');
  await panel.getByRole('button', { name: 'Generate 20 examples for hard_ham' }).click();
  const candidates = panel.getByTestId('synthetic-candidate');
  await expect(candidates.first()).toBeVisible();
  const made = await candidates.count();
  expect(made).toBeGreaterThan(4);
  await panel.getByLabel('Compact list').check();
  await expect(panel.locator('ol.compact')).toBeVisible();
  await screenshot(page, '70-synthetic-compact');
  await expectNoAxeViolations(page, 'synthetic review, compact');

  await panel.getByRole('button', { name: `Accept all ${made} shown` }).click();
  await expect(panel.getByTestId('synthetic-tally')).toHaveText(`0 to review · ${made} accepted · 0 rejected`);
  const accepted = await callApi(host.url, 'synthetic:list', { status: 'accepted', label: 'hard_ham' });
  expect(accepted).toHaveLength(made);
  // Counted apart: the real documents of the class are still 8.
  const review = await callApi(host.url, 'review:imbalance', undefined);
  expect(review.classes.find((c) => c.label === 'hard_ham')!.count).toBe(8);

  await panel.getByRole('button', { name: 'Generate 20 examples for hard_ham' }).click();
  await expect(panel.getByTestId('synthetic-candidate').first()).toBeVisible();
  const second = await panel.getByTestId('synthetic-candidate').count();
  await panel.getByRole('button', { name: `Reject all ${second} shown` }).click();
  await expect(panel.getByTestId('synthetic-tally')).toHaveText(`0 to review · ${made} accepted · ${second} rejected`);
  expect(await callApi(host.url, 'synthetic:list', { status: 'rejected', label: 'hard_ham' })).toHaveLength(second);
  await screenshot(page, '71-synthetic-reviewed');
});
