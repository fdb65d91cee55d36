// Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now. The check is soft: the walk goes on, so one
// run lists the violations of every state.
// The page's CSP (script-src 'self') blocks inline <script> tags, which is what page.addScriptTag({ path }) inserts,
// and the product's CSP must not be loosened for a test. So the axe source is evaluated through the DevTools
// protocol (page.evaluate), which the page's CSP does not govern; the page itself gains no way to run inline code.
import { expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, Result } from 'axe-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export async function axeViolations(page: Page): Promise<Result[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    (tags) => (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    WCAG_AA_TAGS,
  );
  return results.violations;
}

/** One line per violating element: rule, impact, selector and axe's own summary of what is wrong. */
export function describeViolations(violations: Result[]): string {
  return violations
    .flatMap((v) => v.nodes.map((node) => `${v.id} (${v.impact}) at ${node.target.join(' ')}: ${node.failureSummary?.replace(/\s+/g, ' ')}`))
    .join('\n');
}

export async function expectNoAxeViolations(page: Page, state: string): Promise<void> {
  const violations = await axeViolations(page);
  expect.soft(violations, `accessibility violations on "${state}":\n${describeViolations(violations)}`).toEqual([]);
}
