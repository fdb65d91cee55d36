// Three rough edges of the first trial, each asserted: a step's tick means the step was done, not visited; the
// recent-projects list always settles (listed, empty, or an error in words) instead of "Looking…"; and training
// progress speaks plain words, never runs backwards within a phase, and shows time left only once it is estimated.
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoAxeViolations } from './support/axe.js';
import { callApi, heading, screenshot, useTestHost } from './support/wizard.js';

const testHost = useTestHost();

/** The steps whose tick is shown, by title. */
async function tickedSteps(page: Page): Promise<string[]> {
  const titles = await page.getByRole('navigation', { name: 'Wizard steps' }).locator('.step-title').allTextContents();
  return titles.filter((t) => /\s\(done\)$/.test(t)).map((t) => t.replace(/\s\(done\)$/, ''));
}

test('a tick means the step was done: visiting every step ticks none of them', async ({ page }) => {
  const host = testHost();
  await page.goto(host.url);
  await page.getByLabel('Name').fill('Ticks');
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');
  const steps = page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('listitem');
  for (let i = 0; i < (await steps.count()); i++) {
    await steps.nth(i).getByRole('button').click();
    await expect(page.locator('main h1')).toBeVisible();
  }
  expect(await tickedSteps(page), 'only the project exists').toEqual(['Project']);

  // Labeled documents and two labels: Import and Labels are done; two documents still wait for a label.
  const folder = mkdtempSync(join(tmpdir(), 'finetune-e2e-ticks-'));
  const rows = ['text,label', ...Array.from({ length: 5 }, (_, i) => `Invoice ${i} is overdue,billing`), ...Array.from({ length: 5 }, (_, i) => `Password reset number ${i},access`), 'Where is my parcel,', 'Thanks for the help,'];
  writeFileSync(join(folder, 'tickets.csv'), `${rows.join('\n')}\n`);
  await callApi(host.url, 'import:run', { paths: [join(folder, 'tickets.csv')], options: { textCol: 'text', labelCol: 'label' } });
  await page.reload();
  await expect.poll(() => tickedSteps(page)).toEqual(['Project', 'Import', 'Labels']);
  await screenshot(page, '74-ticks-done-not-visited');
});

test('recent projects settle: listed, empty when the list is damaged, and an error in words when the service is out of reach', async ({ page }) => {
  const host = testHost();
  const created = await callApi(host.url, 'projects:create', { name: 'Claims triage', task: 'single_label' });
  const gone = await callApi(host.url, 'projects:create', { name: 'Deleted later', task: 'single_label' });
  rmSync(gone.path);
  await page.goto(`${host.url}#/projects`);
  const recent = page.getByRole('region', { name: 'Recent projects' });
  await expect(recent.getByRole('button', { name: /Claims triage/ })).toBeVisible();
  await expect(recent.getByText('Deleted later'), 'a project whose file is gone is not listed').toHaveCount(0);
  await expect(recent.getByText('Looking for recent projects')).toHaveCount(0);
  expect(created.path).toContain('Claims');

  // A damaged list is a convenience lost, not a hang.
  writeFileSync(join(host.dataDir, 'recent.json'), '{"not": "a list"');
  await page.reload();
  await expect(recent.getByText('No recent projects yet')).toBeVisible();

  // A page whose token is wrong cannot reach the service: it says so instead of looking for ever.
  await page.goto(host.url.replace(/token=[0-9a-f]+/, `token=${'0'.repeat(64)}`) + '#/projects');
  await expect(page.getByRole('alert').filter({ hasText: 'Cannot reach the Finetune service' })).toBeVisible();
  await expect(recent.getByTestId('recent-unreadable')).toContainText('Recent projects cannot be listed while the Finetune service is out of reach');
  await expect(recent.getByText('No recent projects yet'), 'not claimed when unknown').toHaveCount(0);
  await expect(recent.getByText('Looking for recent projects')).toHaveCount(0);
  await screenshot(page, '75-recent-out-of-reach');
  await expectNoAxeViolations(page, 'projects, service out of reach');
});

interface ProgressSample {
  phase: string;
  percent: number;
  details: string;
  message: string;
}

test('training progress: plain words, never backwards within a phase, time left only once estimated', async ({ page }) => {
  const host = testHost();
  await callApi(host.url, 'projects:openSample', undefined);
  await page.goto(`${host.url}#/strategy`);
  await page.getByRole('button', { name: 'Start training' }).click();
  const card = page.getByTestId('train-status');
  const samples: ProgressSample[] = [];
  // Sampled in the page, every 50 ms until the run ends, so short phases are seen too.
  const seen = await card.evaluate(async (element) => {
    const out: ProgressSample[] = [];
    while (element.isConnected && element.getAttribute('data-status') === 'running') {
      const phase = element.querySelector('.phase strong')?.textContent ?? '';
      const bar = element.querySelector('[role="progressbar"]');
      out.push({
        phase,
        percent: Number(bar?.getAttribute('aria-valuenow') ?? 0),
        details: element.querySelector('.phase .muted')?.textContent ?? '',
        message: element.querySelector('p.small')?.textContent ?? '',
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return out;
  });
  samples.push(...seen);
  await expect(card).toHaveAttribute('data-status', 'completed', { timeout: 5 * 60_000 });
  expect(samples.length, 'the run was watched while it ran').toBeGreaterThan(10);

  const phases = [...new Set(samples.map((s) => s.phase))];
  expect(phases.length, phases.join(' | ')).toBeGreaterThanOrEqual(3);
  const engineerWords = /use-?lite|tokeni[sz]|lexical|embedd|logit|tf-?idf|onnx|wasm|backend|epoch|tensor/i;
  for (const s of samples) expect(`${s.phase} ${s.details} ${s.message}`).not.toMatch(engineerWords);
  // Within one phase (one stretch of the same phase line) the bar only moves forward.
  for (let i = 1; i < samples.length; i++) {
    if (samples[i].phase === samples[i - 1].phase) {
      expect(samples[i].percent, `${samples[i].phase}: ${samples[i - 1].percent}% then ${samples[i].percent}%`).toBeGreaterThanOrEqual(samples[i - 1].percent);
    }
  }
  // While the model loads nothing is counted yet, so no time left is claimed; later phases give one once they can.
  for (const s of samples.filter((x) => x.phase === 'Loading the language model')) expect(s.details).not.toMatch(/s left|min left/);
  expect(samples.some((s) => /about \d+ (s|min) left/.test(s.details)), 'a time left was shown at some point').toBe(true);
});
