// Multi-label end to end: a CSV of Brown corpus passages (built at run time) whose label cell holds one or two
// genres separated by '|'; the mapping marks it multi-label, the review and training follow, and the results
// show every per-class value and each class's own decision threshold exactly as runs:metrics has them.
import { expect, test } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../shared/csv.js';
import { brownMultiLabel } from '../test/fixtures/corpora.js';
import { expectNoAxeViolations } from './support/axe.js';
import { callApi, heading, reviewTrainAndInspect, screenshot, useTestHost } from './support/wizard.js';

const GENRES = ['news', 'religion', 'hobbies', 'romance'];

/** About 150 passages of four genres; a passage joined with one of another genre carries both labels. */
function writeBrownCsv(): { path: string; rows: string[][] } {
  const { train, test } = brownMultiLabel({ wordsPerPassage: 80, passagesPerFile: 3, pairFraction: 0.35, seed: 3 });
  const rows = [...train, ...test]
    .filter((e) => e.labels.every((l) => GENRES.includes(l)))
    .slice(0, 150)
    .map((e) => [e.id, e.text, e.labels.join('|')]);
  const path = join(mkdtempSync(join(tmpdir(), 'finetune-e2e-')), 'brown-genres.csv');
  writeFileSync(path, toCsv(['id', 'passage', 'genres'], rows));
  return { path, rows };
}

const testHost = useTestHost();

test('multi-label CSV: mapping with a separator, review, train, per-class thresholds, predict', async ({ page }) => {
  const host = testHost();
  const csv = writeBrownCsv();
  const pairs = csv.rows.filter((r) => r[2].includes('|')).length;
  expect(pairs, 'some passages carry two genres').toBeGreaterThan(10);

  await page.goto(host.url);
  await heading(page, 'Projects');
  await page.getByLabel('Name', { exact: true }).fill('Brown genres');
  await page.getByLabel('any number of labels').check();
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');

  await page.getByLabel('Add documents: choose files').setInputFiles(csv.path);
  await page.getByLabel('Text column').selectOption('passage');
  await page.getByLabel('Label column').selectOption('genres');
  await expect(page.getByLabel('several labels in one cell')).toBeChecked();
  await page.getByLabel('separated by').fill('|');
  await screenshot(page, '71-multilabel-mapping');
  await page.getByRole('button', { name: 'Import 1 file' }).click();
  await expect(page.getByTestId('imported-count')).toHaveText(String(csv.rows.length));

  // Each genre counts every passage that carries it, alone or in a pair.
  const labels = await callApi(host.url, 'labels:list', undefined);
  const expected = Object.fromEntries(GENRES.map((g) => [g, csv.rows.filter((r) => r[2].split('|').includes(g)).length]));
  expect(Object.fromEntries(labels.map((l) => [l.name, l.count]))).toEqual(expected);

  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /Label & review/ }).click();
  await heading(page, 'Label & review');
  await expect(page.getByRole('group', { name: 'Labels (toggle any number)' })).toBeVisible();
  await expectNoAxeViolations(page, 'multi-label, label one at a time');

  await reviewTrainAndInspect(page, host.url, 72, {
    // The multi-label screens (label toggles, threshold column, no confusion matrix) meet WCAG 2 A/AA too.
    atEachState: (state) => expectNoAxeViolations(page, `multi-label ${state}`),
    sampleText: 'The church council met on Sunday after the sermon to discuss the parish budget and the new hymn books.',
  });
  const runs = await callApi(host.url, 'runs:list', undefined);
  const metrics = await callApi(host.url, 'runs:metrics', { runId: runs.find((r) => r.status === 'completed')!.id });
  expect(metrics.task).toBe('multi_label');
  expect(Object.keys(metrics.thresholds ?? {}).sort()).toEqual([...GENRES].sort());
});
