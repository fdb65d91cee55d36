// Accessibility, checked by axe-core against WCAG 2 A/AA at every step of the wizard: the sample project, an
// import with its column mapping and report, a short training run, results and use.
import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { axeViolations, expectNoAxeViolations } from './support/axe.js';
import { heading, reviewTrainAndInspect, useTestHost } from './support/wizard.js';

const testHost = useTestHost();

test('every wizard step passes axe (WCAG 2 A/AA)', async ({ page }) => {
  const host = testHost();
  await page.goto(host.url);
  await heading(page, 'Projects');
  await expectNoAxeViolations(page, 'projects, none yet');

  await page.getByRole('button', { name: 'Open sample project' }).click();
  await heading(page, 'Labels');
  await expectNoAxeViolations(page, 'labels');

  // Import: the mapping of a small CSV, then its report.
  const csv = join(host.dataDir, 'a11y.csv');
  writeFileSync(csv, 'text,label\n"Meeting moved to Tuesday, agenda attached.",ham\n"WIN a FREE prize now!!! click here",spam\n,ham\n');
  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /Import/ }).click();
  await heading(page, 'Import documents');
  await expectNoAxeViolations(page, 'import, empty');
  await page.getByLabel('Add documents: choose files').setInputFiles(csv);
  await expect(page.getByRole('heading', { name: 'Ready to import' })).toBeVisible();
  await expect(page.getByLabel('Text column')).toBeVisible();
  await expectNoAxeViolations(page, 'import, mapping');
  await page.getByRole('button', { name: /^Import \d+ file/ }).click();
  await expect(page.getByTestId('import-report')).toBeVisible();
  await expectNoAxeViolations(page, 'import, report');

  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /Label & review/ }).click();
  await heading(page, 'Label & review');
  await expectNoAxeViolations(page, 'label, one at a time');
  await page.getByRole('button', { name: 'Table' }).click();
  await expectNoAxeViolations(page, 'label, table');
  await page.getByRole('button', { name: 'One at a time' }).click();

  await reviewTrainAndInspect(page, host.url, 50, { atEachState: (state) => expectNoAxeViolations(page, state) });
  await page.getByRole('button', { name: 'Export model (ONNX)' }).click();
  await expect(page.getByTestId('onnx-dir')).toBeVisible({ timeout: 5 * 60_000 });
  await expectNoAxeViolations(page, 'use, exported');
});

test('the check fails on a real violation (a control without a label)', async ({ page }) => {
  const host = testHost();
  await page.goto(host.url);
  await heading(page, 'Projects');
  // Break one label the way a regression would: the field keeps its place but loses its name.
  await page.evaluate(() => {
    const field = document.querySelector('main input:not([type=hidden])');
    if (!field) throw new Error('no input on the projects step');
    for (const label of document.querySelectorAll(`label[for="${field.id}"]`)) label.removeAttribute('for');
    field.closest('label')?.replaceWith(field);
    field.removeAttribute('aria-label');
    field.removeAttribute('aria-labelledby');
    field.removeAttribute('title');
    field.removeAttribute('placeholder');
  });
  const violations = await axeViolations(page);
  expect(violations.map((v) => v.id)).toContain('label');
});
