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

/** Opens the API socket from the page offering these subprotocols; reports whether it became ready or how it ended. */
function socketOutcome(page: import('@playwright/test').Page, wsUrl: string, protocols: string[]) {
  return page.evaluate(
    ({ wsUrl, protocols }) =>
      new Promise<{ ready: boolean; code: number }>((resolve) => {
        const ws = new WebSocket(wsUrl, protocols);
        ws.onmessage = (e) => {
          if (JSON.parse(e.data).ready) resolve({ ready: true, code: 0 });
        };
        ws.onclose = (e) => resolve({ ready: false, code: e.code });
      }),
    { wsUrl, protocols },
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
    // connect-src: the browser itself refuses the request and reports the violation, whether or not the machine
    // could reach that address (so the check also fails where a request would have been allowed).
    const refused = new Promise<string>((resolve) => document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true }));
    await fetch('http://example.org/').catch(() => undefined);
    return { viaHandler: w.__viaHandler === true, viaInline: w.__viaInline === true, connectRefusedBy: await refused };
  });
  expect(injected).toEqual({ viaHandler: false, viaInline: false, connectRefusedBy: 'connect-src' });

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

test('the API socket refuses a missing or wrong token and other origins at the handshake', async ({ page }) => {
  await page.goto(host.url);
  const wsUrl = `ws://127.0.0.1:${host.host.port}/api`;
  // Refused before a socket exists (HTTP 401): the page sees a failed handshake, code 1006.
  expect(await socketOutcome(page, wsUrl, ['finetune.v1'])).toEqual({ ready: false, code: 1006 });
  expect(await socketOutcome(page, wsUrl, ['finetune.v1', `token.${'0'.repeat(64)}`])).toEqual({ ready: false, code: 1006 });
  expect(await socketOutcome(page, wsUrl, ['finetune.v1', `token.${host.token}`])).toEqual({ ready: true, code: 0 });

  // Another origin, even on 127.0.0.1 and with the right token, is refused at the handshake.
  await page.goto(foreignOrigin);
  expect(await socketOutcome(page, wsUrl, ['finetune.v1', `token.${host.token}`])).toEqual({ ready: false, code: 1006 });
});
