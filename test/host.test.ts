// The browser host over real HTTP and a real WebSocket client: the token, Origin and Host guards, the page's
// security headers, and a few API channels end to end on a real project file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CLOSE_BAD_TOKEN, startHost, type Host } from '../electron/backend/host/host.js';

let host: Host;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'finetune-host-'));
  const staticDir = join(dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Finetune</title><script type="module" src="./app.js"></script>');
  writeFileSync(join(staticDir, 'app.js'), 'export {};');
  host = await startHost({ dataDir: join(dir, 'data'), staticDir });
});

after(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const origin = () => `http://127.0.0.1:${host.port}`;

/** Opens the API socket; resolves with the socket once open, or with the refusal (HTTP status or close code). */
function connect(headers: Record<string, string> = { Origin: origin() }): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** An authenticated client: call(channel, arg) resolves with the result or rejects with the error message. */
async function client() {
  const ws = await connect();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const events: { event: string; payload: unknown }[] = [];
  let nextId = 1;
  const ready = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.ready) return resolve();
      if (msg.event) return void events.push(msg);
      const waiter = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.ok) waiter?.resolve(msg.result);
      else waiter?.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
    });
  });
  ws.send(JSON.stringify({ token: host.token }));
  await ready;
  const call = (channel: string, arg?: unknown): Promise<any> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, channel, arg }));
    });
  return { ws, call, events };
}

describe('browser host', () => {
  it('serves the page with a strict CSP and frame denial', async () => {
    const res = await get('/?token=x', { Host: `127.0.0.1:${host.port}` });
    assert.equal(res.status, 200);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline or remote scripts');
    assert.match(csp, new RegExp(`connect-src ws://127\\.0\\.0\\.1:${host.port} ws://localhost:${host.port}(;|$)`));
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.match(res.body, /<title>Finetune<\/title>/);
    assert.equal((await get('/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
  });

  it('refuses other Host names (DNS rebinding) and paths outside the UI folder', async () => {
    assert.equal((await get('/', { Host: `evil.example:${host.port}` })).status, 421);
    assert.equal((await get('/../../../etc/passwd')).status, 404);
    assert.equal((await get('/%2e%2e/%2e%2e/etc/passwd')).status, 404);
  });

  it('refuses a WebSocket from a foreign or missing Origin', async () => {
    await assert.rejects(connect({ Origin: 'http://evil.example' }), /HTTP 403/);
    await assert.rejects(connect({ Origin: `http://192.168.1.2:${host.port}` }), /HTTP 403/);
    await assert.rejects(connect({}), /HTTP 403/);
    await assert.rejects(connect({ Origin: origin(), Host: `evil.example:${host.port}` }), /HTTP 403/);
  });

  it('closes the socket on a wrong or missing token, and answers nothing before it', async () => {
    const wrong = await connect();
    const wrongClosed = closeOf(wrong);
    wrong.send(JSON.stringify({ token: 'f'.repeat(64) }));
    assert.deepEqual(await wrongClosed, { code: CLOSE_BAD_TOKEN, reason: 'wrong or missing token' });

    const missing = await connect();
    const replies: string[] = [];
    missing.on('message', (d) => replies.push(d.toString()));
    const missingClosed = closeOf(missing);
    missing.send(JSON.stringify({ id: 1, channel: 'projects:recent' }));
    assert.equal((await missingClosed).code, CLOSE_BAD_TOKEN);
    assert.deepEqual(replies, []);
  });

  it('answers API calls, refuses unknown channels and bad arguments, and pushes events', async () => {
    const { ws, call, events } = await client();
    await assert.rejects(call('shell:exec', { cmd: 'rm -rf /' }), /Unknown request channel 'shell:exec'/);
    await assert.rejects(call('projects:create', { name: 42, task: 'single_label' }), /projects:create\.name: expected a string/);
    assert.deepEqual(await call('projects:current'), null);

    const created = await call('projects:create', { name: 'Tickets', task: 'single_label' });
    assert.equal(created.project.name, 'Tickets');
    assert.ok(created.path.startsWith(join(dir, 'data', 'projects')), created.path);

    const csv = 'text,label\nmy invoice is wrong,billing\nthe app crashes on start,bug\nrefund please,billing\n';
    const { path } = await call('import:upload', { name: '../../evil/../tickets.csv', base64: Buffer.from(csv).toString('base64') });
    assert.equal(path, join(dir, 'data', 'uploads', 'tickets.csv'));
    const preview = await call('import:preview', { path });
    assert.deepEqual(preview.columns, ['text', 'label']);
    const report = await call('import:run', { paths: [path], options: { textCol: 'text', labelCol: 'label' } });
    assert.equal(report.imported, 3);
    assert.ok(events.some((e) => e.event === 'import:progress'), 'import progress reaches the page');
    const labels = await call('labels:list');
    assert.deepEqual(
      labels.map((l: { name: string; count: number }) => [l.name, l.count]),
      [['billing', 2], ['bug', 1]],
    );
    assert.deepEqual(await call('projects:recent').then((r: { path: string }[]) => r.map((p) => p.path)), [created.path]);
    ws.close();
  });
});
