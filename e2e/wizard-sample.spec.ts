// The whole wizard on the bundled sample project: what the user sees equals what the backend computed and stored.
import { expect, test } from '@playwright/test';
import { basename, join } from 'node:path';
import JSZip from 'jszip';
import { existsSync, readFileSync } from 'node:fs';
import { callApi, heading, reviewTrainAndInspect, screenshot, useTestHost } from './support/wizard.js';

const testHost = useTestHost();

test('sample project: taxonomy, review, strategy, train, results, predict', async ({ page }) => {
  const host = testHost();
  await page.goto(host.url);
  await heading(page, 'Projects');
  await expect(page.getByText('No recent projects yet')).toBeVisible();
  await screenshot(page, '01-projects');

  await page.getByRole('button', { name: 'Open sample project' }).click();
  await heading(page, 'Labels');
  const labels = await callApi(host.url, 'labels:list', undefined);
  expect(labels.length).toBeGreaterThanOrEqual(2);
  for (const label of labels) {
    await expect(page.locator(`tr[data-label="${label.name}"] [data-testid="label-count"]`)).toHaveText(String(label.count));
  }
  await screenshot(page, '02-taxonomy');

  await page.getByRole('button', { name: 'Next: label & review documents' }).click();
  await heading(page, 'Label & review');
  await expect(page.getByTestId('doc-card')).toContainText('Document 1 of');
  await screenshot(page, '03-label');
  // Who labels: asked once on this computer, then shown (and recorded with every label made here).
  await page.getByLabel('Your name, for the record of who labeled what').fill('Grace Hopper');
  await page.getByTestId('author-form').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('author')).toContainText('Labeling as Grace Hopper');
  // The table view with a search: the page counts what the backend finds.
  await page.getByRole('button', { name: 'Table' }).click();
  await page.getByLabel('Search the text').fill('Nigerian');
  const found = await callApi(host.url, 'documents:query', { search: 'Nigerian', limit: 1 });
  await expect(page.getByText(`${found.total} document${found.total === 1 ? '' : 's'} · page 1 of`)).toBeVisible();
  await screenshot(page, '03-label-table');
  await page.getByRole('button', { name: 'One at a time' }).click();

  await reviewTrainAndInspect(page, host.url, 4);

  // The trained model leaves as ONNX files, in a folder the page names.
  await page.getByRole('button', { name: 'Export model (ONNX)' }).click();
  await expect(page.getByTestId('export-steps').locator('li').first()).toContainText('Building the ONNX graph');
  await expect(page.getByTestId('onnx-dir')).toBeVisible({ timeout: 5 * 60_000 });
  // Every step the export reported is listed, and the exported model agrees with the app on the test documents.
  await expect(page.getByTestId('export-steps')).toContainText('Checking the ONNX model against the app on');
  await expect(page.getByTestId('onnx-check')).toContainText(/Checked on \d+ test documents: every one gets the same labels as here/);
  await screenshot(page, '09b-use-exported');
  const onnxDir = await page.getByTestId('onnx-dir').innerText();
  expect(existsSync(join(onnxDir, 'onnx', 'model.onnx')), `${onnxDir}/onnx/model.onnx`).toBe(true);
  // The same folder reaches the browser's side as one zip (the browser host cannot hand out server paths).
  const zipDownload = page.waitForEvent('download');
  await page.getByTestId('onnx-zip').click();
  const zipSaved = await zipDownload;
  expect(zipSaved.suggestedFilename()).toBe(`${basename(onnxDir)}.zip`);
  const zipped = await JSZip.loadAsync(readFileSync(await zipSaved.path()));
  const zippedModel = await zipped.file(`${basename(onnxDir)}/onnx/model.onnx`)?.async('nodebuffer');
  expect(zippedModel?.equals(readFileSync(join(onnxDir, 'onnx', 'model.onnx'))), 'the zipped model is the exported one').toBe(true);

  // The narrowest supported window: no step spills sideways.
  await page.setViewportSize({ width: 1024, height: 800 });
  const steps = page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('listitem');
  for (let i = 0; i < (await steps.count()); i++) {
    await steps.nth(i).getByRole('button').click();
    await expect(page.locator('main h1')).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `step ${i + 1} at 1024 px`).toBeLessThanOrEqual(1024);
  }
  await page.getByRole('button', { name: /Results/ }).click();
  await heading(page, 'Results');
  await screenshot(page, '10-results-1024px');

  // The report for the file: one self-contained HTML file, with the verdict the page shows.
  const report = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save report (HTML, prints to PDF)' }).click();
  const saved = await report;
  expect(saved.suggestedFilename()).toMatch(/^report-run-\d+\.html$/);
  const html = readFileSync(await saved.path(), 'utf8');
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).not.toMatch(/<script/);
  const unescaped = html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  expect(unescaped).toContain(await page.getByTestId('verdict-sentence').innerText());

  // The audit pack: written by the backend, its path shown.
  const auditDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save audit pack' }).click();
  const auditPath = await page.getByTestId('audit-path').innerText();
  expect(existsSync(auditPath), auditPath).toBe(true);
  // ...and saved on the browser's side, byte for byte.
  expect(readFileSync(await (await auditDownload).path()).equals(readFileSync(auditPath))).toBe(true);
  await screenshot(page, '10b-results-audit');

  // A mistake is fixed where it is seen: relabeled from the list, the run marked as describing old data, then undone.
  const runs = await callApi(host.url, 'runs:list', undefined);
  const runId = Math.max(...runs.filter((r) => r.status === 'completed').map((r) => r.id));
  const [mistake] = await callApi(host.url, 'runs:predictions', { runId, misclassifiedOnly: true });
  const mistakes = page.getByRole('region', { name: 'Mistakes on the test documents' });
  const first = mistakes.getByTestId('prediction').first();
  await first.getByRole('button', { name: mistake.predicted[0], exact: true }).click();
  await expect(page.getByTestId('data-changed')).toContainText('Data changed since this run: 1 document relabeled here');
  await expect(first.getByTestId('given')).toHaveText(mistake.predicted[0]);
  const labelsNow = async () => (await callApi(host.url, 'documents:query', { search: mistake.text.slice(0, 40), limit: 50 })).documents.find((d) => d.id === mistake.documentId)!.labels;
  expect(await labelsNow()).toEqual(mistake.predicted);
  await screenshot(page, '11-results-relabeled');
  // A second change to the same document, then both undone, newest first.
  const third = (await callApi(host.url, 'labels:list', undefined)).map((l) => l.name).find((l) => l !== mistake.predicted[0] && !mistake.trueLabels!.includes(l))!;
  await first.getByRole('button', { name: third, exact: true }).click();
  await expect(first.getByTestId('given')).toHaveText(third);
  await expect(mistakes.getByTestId('undo-depth')).toContainText('2 changes here can be undone, newest first');
  await mistakes.getByRole('button', { name: 'Undo' }).click();
  await expect(first.getByTestId('given')).toHaveText(mistake.predicted[0]);
  expect(await labelsNow()).toEqual(mistake.predicted);
  await mistakes.getByRole('button', { name: 'Undo' }).click();
  await expect(first.getByTestId('given')).toHaveText(mistake.trueLabels!.join(', '));
  expect(await labelsNow()).toEqual(mistake.trueLabels);
  // The project keeps that its data changed after the run, so the mark is still there after a reload.
  await page.reload();
  await heading(page, 'Results');
  await expect(page.getByTestId('data-changed')).toContainText('Data changed since this run: labels or documents changed after it was trained');
});
