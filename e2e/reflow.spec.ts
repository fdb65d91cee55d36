// Reflow (WCAG 1.4.10): in a 320 px wide window every step of the wizard fits the width — the steps wrap above the
// page, blocks stack — so nothing scrolls sideways except a wide data table inside its own box. The sample project
// is walked from Projects to Use with a short training run; each state is measured and photographed.
import { expect, test, type Page } from '@playwright/test';
import { heading, reviewTrainAndInspect, screenshot, useTestHost } from './support/wizard.js';

const testHost = useTestHost();

async function fitsTheWidth(page: Page, state: string): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth }));
  // The widest elements that stick out, so a failure names the culprit (tables scroll inside their own box).
  const culprits = scroll <= width ? [] : await page.evaluate((w) => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > w + 1)
    .slice(0, 6)
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)} px)`), width);
  expect(scroll, `${state}: the page is ${scroll} px wide in a ${width} px window; sticking out: ${culprits.join(', ')}`).toBeLessThanOrEqual(width);
}

test('every step reflows at 320 px: no sideways scrolling', async ({ page }) => {
  const host = testHost();
  await page.setViewportSize({ width: 320, height: 800 });
  await page.goto(host.url);
  await heading(page, 'Projects');
  await fitsTheWidth(page, 'projects');
  await screenshot(page, '60-reflow-projects');
  await page.getByRole('button', { name: 'Open sample project' }).click();
  await heading(page, 'Labels');
  await fitsTheWidth(page, 'labels');
  await screenshot(page, '61-reflow-labels');
  const steps = page.getByRole('navigation', { name: 'Wizard steps' });
  await steps.getByRole('button', { name: /Import/ }).click();
  await heading(page, 'Import documents');
  await fitsTheWidth(page, 'import');
  await steps.getByRole('button', { name: /Label & review/ }).click();
  await heading(page, 'Label & review');
  await fitsTheWidth(page, 'label');
  await screenshot(page, '62-reflow-label');
  await reviewTrainAndInspect(page, host.url, 63, { atEachState: (state) => fitsTheWidth(page, state) });
});
