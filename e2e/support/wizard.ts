// Helpers the wizard specs share: the backend API from the test's side (to check what the page shows against
// what the backend stored), screenshots, and the steps every path goes through after the data is in.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { RequestArg, RequestChannel, RequestResult } from '../../shared/api.js';
import { verdictOf } from '../../shared/verdict.js';
import { startTestHost, type TestHost } from './host.js';

/** A browser host on a fresh data folder for the spec file; call the returned function inside tests. */
export function useTestHost(setUp?: (host: TestHost) => Promise<void>): () => TestHost {
  let host: TestHost | undefined;
  test.beforeAll(async () => {
    host = await startTestHost();
    await setUp?.(host);
  });
  test.afterAll(async () => {
    await host?.close();
  });
  return () => host!;
}

export const SCREENS_DIR = join(import.meta.dirname, '..', '..', 'e2e-artifacts', 'screens');

/** Calls the host's API as the page does (docs/ARCHITECTURE.md "Browser host protocol"). */
export async function callApi<C extends RequestChannel>(pageUrl: string, channel: C, arg: RequestArg<C>): Promise<RequestResult<C>> {
  const url = new URL(pageUrl);
  const socket = new WebSocket(`ws://${url.host}/api`, ['finetune.v1', `token.${url.searchParams.get('token')}`], { headers: { Origin: url.origin } });
  try {
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ id: 1, channel, arg }));
    return await new Promise((resolve, reject) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.id !== 1) return;
        if (message.ok) resolve(message.result);
        else reject(new Error(`${channel}: ${message.error.message}`));
      });
      socket.once('close', (code) => reject(new Error(`${channel}: socket closed (${code})`)));
    });
  } finally {
    socket.close();
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS_DIR, { recursive: true });
  // From the top, so the sticky sidebar sits where a user would see it.
  await page.evaluate(() => scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENS_DIR, `${name}.png`), fullPage: true });
}

export async function heading(page: Page, name: string): Promise<void> {
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

/** The label counts and the imbalance review the page shows equal the backend's. */
async function checkReview(page: Page, url: string): Promise<void> {
  const review = await callApi(url, 'review:imbalance', undefined);
  await expect(page.getByTestId('review-documents')).toHaveText(String(review.documents));
  await expect(page.getByTestId('review-labeled')).toHaveText(String(review.labeled));
  await expect(page.getByTestId('review-unlabeled')).toHaveText(String(review.unlabeled));
  for (const c of review.classes) {
    await expect(page.getByTestId('class-counts').locator(`li[data-label="${c.label}"] [data-testid="class-count"]`)).toHaveText(String(c.count));
  }
  expect(review.recommendation, 'the backend recommends a strategy').not.toBeNull();
  await expect(page.getByTestId('recommendation-reason')).toHaveText(review.recommendation!.reason);
  await expect(page.getByTestId('recommendation-basis').locator('li')).toHaveText(review.recommendation!.basis);
}

/**
 * Clicking a cell of the confusion matrix lists exactly its documents.
 * The cell opened is the largest mistake (an off-diagonal cell), or the first class's hits if there is none.
 */
async function openLargestMistake(page: Page, matrix: { labels: string[]; matrix: number[][] }): Promise<void> {
  const cells = matrix.labels.flatMap((_, r) => matrix.labels.map((_, c) => ({ r, c, n: matrix.matrix[r][c] })));
  const worst = cells.filter((x) => x.r !== x.c).sort((a, b) => b.n - a.n)[0];
  const { r: t, c: p } = worst && worst.n > 0 ? worst : { r: 0, c: 0 };
  const cellName = `${matrix.matrix[t][p]} documents of class ${matrix.labels[t]} predicted as ${matrix.labels[p]}. Show them.`;
  await page.getByRole('button', { name: cellName }).click();
  await expect(page.getByTestId('cell-documents').getByTestId('prediction')).toHaveCount(matrix.matrix[t][p]);
}

/**
 * Balance -> strategy -> train -> results -> use, from the Label & review step; screenshots numbered from `prefix`.
 * Fewer epochs keep the spec quick; every other setting is the recommended default.
 */
export async function reviewTrainAndInspect(
  page: Page,
  url: string,
  prefix: number,
  opts: {
    /** Called at every state that gets a screenshot (the accessibility spec checks each one). */
    atEachState?: (name: string) => Promise<void>;
    /** The text classified on the Use step (default: a spam-like e-mail). */
    sampleText?: string;
  } = {},
): Promise<void> {
  const { atEachState } = opts;
  const shot = async (n: number, name: string) => {
    await atEachState?.(name);
    await screenshot(page, `${String(prefix + n).padStart(2, '0')}-${name}`);
  };
  await page.getByRole('button', { name: 'Next: check the balance' }).click();
  await heading(page, 'Balance between classes');
  await checkReview(page, url);
  await shot(0, 'review');
  const review = await callApi(url, 'review:imbalance', undefined);

  await page.getByRole('button', { name: 'Next: choose a strategy' }).click();
  await heading(page, 'Training strategy');
  // Automatic is the default; the rule table's guess is shown beside it and on its own strategy.
  await expect(page.locator('label[data-strategy="auto"] input')).toBeChecked();
  await expect(page.locator(`label[data-strategy="${review.recommendation!.strategy}"]`)).toContainText('Rule of thumb');
  await page.getByText('Advanced settings').click();
  await page.getByLabel('Measuring rounds').fill('1');
  await shot(1, 'strategy');
  // The search runs on the training documents and preselects its winner, with the evidence as a chart.
  await page.getByRole('button', { name: 'Find the best strategy' }).click();
  await expect(page.getByTestId('search-pick')).toBeVisible({ timeout: 10 * 60_000 });
  await expect(page.getByTestId('candidate-chart')).toBeVisible();
  const pickText = (await page.getByTestId('search-pick').innerText()).replace(/^Best: /, '').split('.')[0];
  await expect(page.locator('.strategy.chosen')).toContainText('Measured best');
  await expect(page.getByRole('status').filter({ hasText: `The search's winner is selected below: ${pickText}` })).toBeVisible();
  await shot(2, 'strategy-search');

  await page.getByRole('button', { name: 'Start training' }).click();
  await heading(page, 'Training');
  const status = page.getByTestId('train-status');
  await expect(status).toHaveAttribute('data-status', 'running');
  await shot(3, 'train');
  const ended = page.locator('[data-testid="train-status"]:not([data-status="running"])');
  await expect(ended).toBeVisible({ timeout: 10 * 60_000 });
  await expect(status, await status.innerText()).toHaveAttribute('data-status', 'completed');
  await shot(4, 'train-done');

  await page.getByRole('button', { name: 'See the results' }).click();
  await heading(page, 'Results');
  const runs = await callApi(url, 'runs:list', undefined);
  const runId = Math.max(...runs.filter((r) => r.status === 'completed').map((r) => r.id));
  const metrics = await callApi(url, 'runs:metrics', { runId });
  // The verdict leads: one sentence naming the next action, and one light per class in words.
  const verdict = verdictOf(metrics, metrics.train_counts);
  await expect(page.getByTestId('verdict-sentence')).toHaveText(verdict.sentence);
  for (const c of verdict.classes) await expect(page.getByTestId('verdict').locator(`li[data-label="${c.label}"]`)).toHaveAttribute('data-light', c.light);
  await expect(page.getByTestId('macro-f1')).toHaveText(metrics.f1_macro.toFixed(2));
  await expect(page.getByTestId('accuracy')).toHaveText(metrics.accuracy.toFixed(2));
  await expect(page.getByTestId('trust')).toContainText(`on ${metrics.n_test} test documents`);
  for (const label of metrics.labels) {
    const m = metrics.per_class[label];
    const row = page.getByTestId('per-class').locator(`tr[data-label="${label}"]`);
    await expect(row.locator('[data-metric="precision"]')).toHaveText(m.undefinedPrecision ? 'undefined' : m.precision.toFixed(2));
    await expect(row.locator('[data-metric="recall"]')).toHaveText(m.undefinedRecall ? 'undefined' : m.recall.toFixed(2));
    await expect(row.locator('[data-metric="f1"]')).toHaveText(m.undefinedPrecision && m.undefinedRecall ? 'undefined' : m.f1.toFixed(2));
    await expect(row.locator('[data-metric="support"]')).toContainText(String(m.support));
    if (m.smallSupport) await expect(row.locator('[data-metric="support"]')).toContainText('too few to trust');
    // Multi-label runs decide each label with its own tuned threshold, shown per class; single-label runs show
    // each class's decision weight when the decision is not plain argmax.
    if (metrics.thresholds) await expect(row.locator('[data-metric="threshold"]')).toHaveText(metrics.thresholds[label].toFixed(2));
    const scale = metrics.strategy.decision?.scale;
    if (scale && Object.values(scale).some((w) => Math.abs(w - 1) > 1e-3)) {
      await expect(row.locator('[data-metric="weight"]')).toHaveText((scale[label] / Math.min(...Object.values(scale))).toFixed(2));
    }
  }
  await expect(page.getByTestId('macro-interval')).toContainText(metrics.f1_macro_interval![0].toFixed(2));
  await page.getByTestId('selection').getByText('How this model was chosen').click();
  await expect(page.getByTestId('selection')).toContainText('Cross-validation on the training split');
  if (metrics.task === 'single_label') await openLargestMistake(page, metrics.confusion_matrix!);
  await shot(5, 'results');


  await page.getByRole('button', { name: 'Next: use the model' }).click();
  await heading(page, 'Use the model');
  const text = opts.sampleText ?? 'Congratulations! You have been selected to receive a FREE cruise. Click here now to claim your prize, limited offer.';
  // A paste is one document, empty lines and all, unless the user says it holds several.
  await page.getByLabel(/^One document/).fill(`Dear John,\n\n${text}`);
  await expect(page.getByRole('button', { name: 'Classify', exact: true })).toBeVisible();
  await page.getByLabel('Several documents, separated by empty lines').check();
  await expect(page.getByRole('button', { name: 'Classify 2 documents' })).toBeVisible();
  await page.getByLabel('Several documents, separated by empty lines').uncheck();
  await page.getByLabel(/^One document/).fill(text);
  await page.getByRole('button', { name: 'Classify', exact: true }).click();
  const expected = await callApi(url, 'predict:texts', { runId, texts: [text] });
  await expect(page.getByTestId('predictions').getByTestId('predicted')).toHaveText(expected[0].predicted.join(', '));
  await shot(6, 'use');
  // Why this label: the words that moved it are highlighted, with what that means; the backend measured the same.
  await page.getByTestId('predictions').getByRole('button', { name: 'Why this label?' }).click();
  const explanation = page.getByTestId('predictions').getByTestId('explanation');
  await expect(explanation).toBeVisible({ timeout: 60_000 });
  const explained = await callApi(url, 'predict:explain', { runId, text });
  const top = explained.explanation!.spans.reduce((a, b) => (b.weight > a.weight ? b : a));
  await expect(explanation.locator('mark.towards').filter({ hasText: text.slice(top.start, top.end) }).first()).toBeVisible();
  await expect(page.getByTestId('predictions')).toContainText(`pushed it towards ${explained.explanation!.label}`);
  await shot(6, 'use-why');
}
