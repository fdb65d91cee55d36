// The browser host's guards, seen from a real Chromium page: the page runs no injected inline script, cannot post
// forms or connect anywhere else, is not frameable, and the API socket refuses a missing or wrong token and
// pages of any other origin.
import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestHost, type TestHost } from './support/host.js';

let host: TestHost;
/** A page of another origin (another port on the same machine), as a malicious local page would be. */
let foreign: Server;
let foreignOrigin: string;

test.beforeAll(async () => {
  host = await startTestHost();
  foreign = createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'));
  await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
  foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
});
test.afterAll(async () => {
  await host?.close();
  foreign?.close();
});

/** Opens the API socket from the page, sends `first`, and reports how the socket ended (or that it was ready). */
function socketOutcome(page: import('@playwright/test').Page, wsUrl: string, first: unknown) {
  return page.evaluate(
    ({ wsUrl, first }) =>
      new Promise<{ ready: boolean; code: number; reason: string }>((resolve) => {
        const ws = new WebSocket(wsUrl);
        ws.onopen = () => ws.send(JSON.stringify(first));
        ws.onmessage = (e) => {
          if (JSON.parse(e.data).ready) resolve({ ready: true, code: 0, reason: '' });
        };
        ws.onclose = (e) => resolve({ ready: false, code: e.code, reason: e.reason });
      }),
    { wsUrl, first },
  );
}

test('the page runs no injected inline script and cannot post or connect elsewhere', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  const response = await page.goto(host.url);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  expect(response?.headers()['x-frame-options']).toBe('DENY');

  const injected = await page.evaluate(async () => {
    const w = window as unknown as Record<string, unknown>;
    document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__viaHandler = true">');
    const script = document.createElement('script');
    script.textContent = 'window.__viaInline = true';
    document.body.append(script);
    await new Promise((r) => setTimeout(r, 200));
    let fetchedElsewhere = true;
    try {
      await fetch('http://example.org/');
    } catch {
      fetchedElsewhere = false;
    }
    return { viaHandler: w.__viaHandler === true, viaInline: w.__viaInline === true, fetchedElsewhere };
  });
  expect(injected).toEqual({ viaHandler: false, viaInline: false, fetchedElsewhere: false });

  // form-action 'none': a form posting to another site does not take the page away.
  const before = page.url();
  await page.evaluate((target) => {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = target;
    document.body.append(form);
    form.submit();
  }, `${foreignOrigin}/steal`);
  await expect.poll(() => violations.some((v) => /form-action/.test(v))).toBe(true);
  expect(page.url()).toBe(before);
  expect(violations.some((v) => /script-src|inline/i.test(v))).toBe(true);
});

test('the page cannot be framed by another site', async ({ page }) => {
  await page.goto(foreignOrigin);
  await page.evaluate(
    (url) =>
      new Promise((resolve) => {
        const frame = document.createElement('iframe');
        frame.src = url;
        frame.onload = resolve; // fires for the browser's error page too
        document.body.append(frame);
      }),
    host.url,
  );
  const frame = page.frames().find((f) => f !== page.mainFrame());
  expect(frame, 'the iframe exists').toBeTruthy();
  // Refused by frame-ancestors 'none' / X-Frame-Options: the frame holds the browser's error page, not the app.
  const title = await frame!.evaluate(() => document.title).catch(() => '(inaccessible)');
  expect(title).not.toBe('Finetune');
  expect(frame!.url()).not.toBe(host.url);
});

test('the API socket refuses a missing or wrong token and other origins', async ({ page }) => {
  await page.goto(host.url);
  const wsUrl = `ws://127.0.0.1:${host.host.port}/api`;
  expect(await socketOutcome(page, wsUrl, { id: 1, channel: 'projects:recent' })).toEqual({
    ready: false,
    code: 4401,
    reason: 'wrong or missing token',
  });
  expect(await socketOutcome(page, wsUrl, { token: '0'.repeat(64) })).toMatchObject({ ready: false, code: 4401 });
  expect(await socketOutcome(page, wsUrl, { token: host.token })).toMatchObject({ ready: true });

  // Another origin, even on 127.0.0.1 and with the right token, is refused at the handshake.
  await page.goto(foreignOrigin);
  const fromElsewhere = await socketOutcome(page, wsUrl, { token: host.token });
  expect(fromElsewhere.ready).toBe(false);
  expect(fromElsewhere.code).toBe(1006);
});
