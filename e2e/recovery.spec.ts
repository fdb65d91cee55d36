// Recovery: a page reload during a run shows the live run's progress again (from train:active), and a training
// process killed mid-run ends as a failed run with its reason, in the page and in the project, never 'running'.
import { expect, test, type Page } from '@playwright/test';
import { startTestHost, type TestHost } from './support/host.js';
import { expectNoAxeViolations } from './support/axe.js';
import { callApi, screenshot } from './support/wizard.js';

let host: TestHost;
test.beforeAll(async () => {
  host = await startTestHost();
});
test.afterAll(async () => {
  await host?.close();
});

const status = (page: Page) => page.getByTestId('train-status');

/** The phase line once the run is past preparing: reading (embedding) the documents or later. */
const pastPreparing = (page: Page) =>
  expect(status(page).getByRole('status')).toContainText(/Reading the documents|Learning from|Calibrating|Testing on/);

test('reload during a run shows its progress again; killing the training process fails the run with the reason', async ({ page }) => {
  await callApi(host.url, 'projects:openSample', undefined);
  const labelsBefore = await callApi(host.url, 'labels:list', undefined);
  await page.goto(`${host.url}#/strategy`);
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(status(page)).toHaveAttribute('data-status', 'running');
  await pastPreparing(page);

  // A fresh page learns the live run and its progress from the backend alone (train:active).
  await page.reload();
  await expect(status(page)).toHaveAttribute('data-status', 'running');
  await pastPreparing(page);
  await expect(status(page).getByRole('progressbar')).not.toHaveAttribute('aria-valuenow', '0');
  const active = await callApi(host.url, 'train:active', undefined);
  expect(active, 'the backend reports the live run').not.toBeNull();
  await expect(page.getByRole('heading', { level: 2, name: new RegExp(`^Run ${active!.runId} `) })).toBeVisible();
  await screenshot(page, 'recovery-01-after-reload');

  expect(active!.workerPid, 'the training process id is known').toBeGreaterThan(0);
  process.kill(active!.workerPid!, 'SIGKILL');

  const reason = 'the training process stopped unexpectedly (signal SIGKILL)';
  await expect(status(page)).toHaveAttribute('data-status', 'failed');
  await expect(status(page).getByRole('alert')).toContainText(reason);
  await expectNoAxeViolations(page, 'train, failed run');
  await screenshot(page, 'recovery-02-killed');

  // The project holds the same truth, and a fresh page shows it too.
  const runs = await callApi(host.url, 'runs:list', undefined);
  expect(runs.map((r) => [r.id, r.status, r.error])).toEqual([[active!.runId, 'failed', reason]]);
  expect(await callApi(host.url, 'train:active', undefined)).toBeNull();
  // Nothing is lost: every document and label is as it was.
  expect(await callApi(host.url, 'labels:list', undefined)).toEqual(labelsBefore);
  await page.reload();
  await expect(status(page)).toHaveAttribute('data-status', 'failed');
  await expect(status(page).getByRole('alert')).toContainText(reason);
});
