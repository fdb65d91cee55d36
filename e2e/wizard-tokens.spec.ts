// A token project through the wizard: real Brown sentences imported as CoNLL plus plain text to mark, words marked
// with the keyboard and with the mouse (select, tag, retag, remove, finish), the balance in words, a tagger run,
// entity results against the backend's figures, and new text marked — the page shows what the backend computed.
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brownTagged } from '../test/fixtures/brown-tags.js';
import { expectNoAxeViolations } from './support/axe.js';
import { callApi, heading, screenshot, useTestHost } from './support/wizard.js';

const testHost = useTestHost();
const steps = (page: Page) => page.getByRole('navigation', { name: 'Wizard steps' });
const word = (page: Page, text: string) => page.getByTestId('token-words').getByRole('option', { name: text, exact: true });

test('token project: CoNLL import, marking words by keyboard and mouse, training, entity results and new text', async ({ page }) => {
  const host = testHost();
  const folder = mkdtempSync(join(tmpdir(), 'finetune-e2e-tokens-'));
  const lines: string[] = [];
  let file = '';
  for (const s of brownTagged().train.slice(0, 900)) {
    if (s.file !== file) lines.push('-DOCSTART- O', '');
    file = s.file;
    s.tokens.forEach((token, i) => lines.push(`${token}\t${s.names[i]}`));
    lines.push('');
  }
  writeFileSync(join(folder, 'brown-names.conll'), lines.join('\n'));
  writeFileSync(join(folder, 'to-mark.txt'), 'Mr. Stevens visited Atlanta on Monday .\nThe Fulton County Grand Jury met on Friday .\n');

  await page.goto(host.url);
  await page.getByLabel('Name').fill('Names in text');
  await page.getByLabel('marks on its words').check();
  await page.getByRole('button', { name: 'Create project' }).click();
  await heading(page, 'Import documents');
  await page.getByLabel('Add documents: choose files').setInputFiles([join(folder, 'brown-names.conll'), join(folder, 'to-mark.txt')]);
  await page.getByRole('button', { name: 'Import 2 files' }).click();
  const report = page.getByTestId('import-report');
  await expect(report).toContainText('New entity types found');
  const review = await callApi(host.url, 'tokens:review', undefined);
  await expect(report.getByTestId('imported-count')).toHaveText(String(review.documents));
  expect(review.documents - review.annotated).toBe(2);

  await steps(page).getByRole('button', { name: /Entity types/ }).click();
  await heading(page, 'Entity types');
  await expect(page.getByTestId('unlabeled-count')).toHaveText('2 documents still to mark');

  await steps(page).getByRole('button', { name: /Mark words/ }).click();
  await heading(page, 'Mark words');
  await expect(page.getByLabel('Show')).toHaveValue('todo');
  const keyOf = async (type: string) => (await page.locator(`button[data-type="${type}"] kbd`).textContent())!.trim();
  // Keyboard: move to "Stevens", mark it NAME with the type's number key.
  const words = page.getByTestId('token-words');
  await words.focus();
  for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press(await keyOf('NAME'));
  const list = page.getByTestId('entity-list');
  await expect(list).toContainText('Stevens');
  // Shift+arrows select two words; a number key marks both; Delete removes the mark under the cursor.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press(await keyOf('TITLE'));
  await expect(list).toContainText('visited Atlanta');
  await page.keyboard.press('Delete');
  await expect(list).not.toContainText('visited Atlanta');
  // Mouse: a click selects "Atlanta", the type's button marks it; the list retags it.
  await word(page, 'Atlanta').click();
  await page.locator('button[data-type="TITLE"]').click();
  await page.getByLabel('Type of “Atlanta”').selectOption('NAME');
  await expect(page.getByTestId('token-words').getByRole('option', { name: /^Atlanta ?, NAME$/ })).toBeVisible();
  await screenshot(page, '50-tokens-marking');
  await expectNoAxeViolations(page, 'mark words');
  let current = (await callApi(host.url, 'tokens:query', { annotated: false, search: 'Stevens' })).documents[0];
  expect(current.spans.map((s) => `${current.text.slice(s.start, s.end)}:${s.label}`)).toEqual(['Stevens:NAME', 'Atlanta:NAME']);
  expect(current.annotated).toBe(false);
  await page.getByRole('button', { name: 'Done, next document' }).click();
  current = (await callApi(host.url, 'tokens:query', { search: 'Stevens' })).documents[0];
  expect(current.annotated).toBe(true);

  // The next document: drag across four words with the mouse and mark them TITLE.
  await expect(word(page, 'Fulton')).toBeVisible();
  await word(page, 'Fulton').hover();
  await page.mouse.down();
  await word(page, 'Jury').hover();
  await page.mouse.up();
  await page.locator('button[data-type="TITLE"]').click();
  await expect(list).toContainText('Fulton County Grand Jury');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Every document is finished')).toBeVisible();
  const jury = (await callApi(host.url, 'tokens:query', { search: 'Fulton County Grand Jury met' })).documents[0];
  expect(jury.annotated).toBe(true);
  expect(jury.spans.map((s) => jury.text.slice(s.start, s.end))).toEqual(['Fulton County Grand Jury']);

  await steps(page).getByRole('button', { name: /Balance/ }).click();
  await heading(page, 'Balance between types');
  const after = await callApi(host.url, 'tokens:review', undefined);
  await expect(page.getByTestId('token-outside')).toHaveText(`${((1 - after.entityWords / after.words) * 100).toFixed(1)}%`);
  await screenshot(page, '51-tokens-balance');
  await expectNoAxeViolations(page, 'token balance');

  await page.getByRole('button', { name: 'Next: how to train' }).click();
  await heading(page, 'How to train');
  await page.getByRole('button', { name: 'Train the tagger' }).click();
  await expect(page.getByTestId('train-status')).toHaveAttribute('data-status', 'completed', { timeout: 10 * 60_000 });
  const runs = await callApi(host.url, 'runs:list', undefined);
  const runId = Math.max(...runs.map((r) => r.id));
  const results = await callApi(host.url, 'tokens:results', { runId });

  await page.getByRole('button', { name: 'See the results' }).click();
  await heading(page, 'Results');
  await expect(page.getByTestId('token-headline').getByRole('heading')).toContainText(`Entity F1 ${results.metrics.entities!.micro.f1.toFixed(2)}`);
  await expect(page.getByTestId('entity-types').locator('tbody tr')).toHaveCount(Object.keys(results.metrics.entities!.perType).length);
  await expect(page.getByTestId('entity-confusion')).toBeVisible();
  const mistakes = page.getByTestId('token-mistakes').locator(':scope > li');
  expect(await mistakes.count()).toBeGreaterThan(0);
  await screenshot(page, '52-tokens-results');
  await expectNoAxeViolations(page, 'token results');
  // A confusion cell lists its own documents.
  await page.getByTestId('entity-confusion').getByRole('button').first().click();
  await expect(page.getByRole('heading', { name: /^Documents marked/ })).toBeVisible();

  await page.getByRole('button', { name: 'Next: mark new text' }).click();
  await heading(page, 'Mark new text');
  const text = 'Mr. Stevens flew from Atlanta to Boston on Monday .';
  await page.getByLabel('Text to mark').fill(text);
  await page.getByRole('button', { name: 'Mark the text' }).click();
  const [expected] = await callApi(host.url, 'tokens:predict', { runId, texts: [text] });
  const shown = page.getByTestId('token-use-results');
  await expect(shown.getByRole('heading')).toHaveText(new RegExp(`Marked \\(${expected.spans.length} entit`));
  for (const s of expected.spans) await expect(shown).toContainText(`${text.slice(s.start, s.end)}: ${s.label}`);
  await screenshot(page, '53-tokens-use');
  await expectNoAxeViolations(page, 'mark new text');
});
