// The browser host over real HTTP and a real WebSocket client: the token, Origin and Host guards, the page's
// security headers, and a few API channels end to end on a real project file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { API_PROTOCOL, CLOSE_BAD_MESSAGE, MAX_MESSAGE_BYTES, MAX_SOCKETS, startHost, TOKEN_PROTOCOL_PREFIX, type Host } from '../electron/backend/host/host.js';
import { hostClient, protocolsFor } from './fixtures/host-client.js';
import { uploadBytes } from './fixtures/upload.js';

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

/** Opens the API socket; resolves with the socket once open, or rejects with the refusal (HTTP status). */
function connect(headers: Record<string, string> = { Origin: origin() }, protocols: string[] = protocolsFor(host.token)): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, protocols, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

const client = () => hostClient(host);

/** The upgrade request written by hand (to send what a browser never would), and the server's raw answer. */
function rawUpgrade(protocols: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(host.port, '127.0.0.1', () => {
      socket.write(
        [`GET /api HTTP/1.1`, `Host: 127.0.0.1:${host.port}`, `Origin: ${origin()}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, `Sec-WebSocket-Protocol: ${protocols.join(', ')}`, '', ''].join('\r\n'),
      );
    });
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    setTimeout(() => socket.end(), 500);
  });
}

/** A raw TCP socket after a valid handshake: write any bytes at all. */
function rawSocket(): Promise<{ socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(host.port, '127.0.0.1', () => {
      socket.write(
        [`GET /api HTTP/1.1`, `Host: 127.0.0.1:${host.port}`, `Origin: ${origin()}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, `Sec-WebSocket-Protocol: ${protocolsFor(host.token).join(', ')}`, '', ''].join('\r\n'),
      );
    });
    socket.once('data', (d) => (d.toString().startsWith('HTTP/1.1 101') ? resolve({ socket }) : reject(new Error(d.toString()))));
    socket.on('error', () => undefined);
  });
}

/** The host answers a call on a fresh socket. */
async function alive(): Promise<boolean> {
  const { ws, call } = await client();
  const recent = await call('projects:recent');
  ws.close();
  return Array.isArray(recent);
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

  it('refuses a wrong, missing or odd token at the handshake, before any socket exists', async () => {
    await assert.rejects(connect(undefined, [API_PROTOCOL]), /HTTP 401/);
    await assert.rejects(connect(undefined, protocolsFor('f'.repeat(64))), /HTTP 401/);
    await assert.rejects(connect(undefined, protocolsFor('0')), /HTTP 401/);
    await assert.rejects(connect(undefined, [`${TOKEN_PROTOCOL_PREFIX}${host.token}`]), /HTTP 401/, 'the API protocol must be named');
    // A token of multi-byte characters of the right length in characters once crashed the comparison.
    const raw = await rawUpgrade([API_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${'é'.repeat(64)}`]);
    assert.match(raw, /^HTTP\/1\.1 401/);
    const ws = await connect();
    assert.equal(ws.protocol, API_PROTOCOL, 'the server never echoes the token');
    ws.close();
    assert.ok(await alive());
  });

  it('survives protocol errors and oversized or malformed messages, and caps the number of sockets', async () => {
    // A frame with the reserved opcode 3, sent raw after a valid handshake.
    const { socket } = await rawSocket();
    socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]));
    await new Promise((resolve) => socket.once('close', resolve));
    // A message over the limit.
    const big = await connect();
    const bigClosed = closeOf(big);
    big.send('x'.repeat(MAX_MESSAGE_BYTES + 1));
    assert.equal((await bigClosed).code, 1009);
    // Not JSON, and binary.
    const bad = await connect();
    const badClosed = closeOf(bad);
    bad.send('{not json');
    assert.equal((await badClosed).code, CLOSE_BAD_MESSAGE);
    assert.ok(await alive(), 'the host still answers');
    // More sockets than the cap: the surplus is refused, the host keeps answering.
    const opened: WebSocket[] = [];
    let refused = 0;
    for (let i = 0; i < MAX_SOCKETS + 3; i++) {
      try {
        opened.push(await connect());
      } catch (error) {
        assert.match(String(error), /HTTP 503/);
        refused++;
      }
    }
    assert.ok(refused >= 3, `${refused} refused`);
    for (const ws of opened) ws.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(await alive());
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
    const { path } = await uploadBytes(call, { name: '../../evil/../tickets.csv', content: csv });
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
