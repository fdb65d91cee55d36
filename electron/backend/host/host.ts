// The browser host: the built renderer and the typed API over a WebSocket, on 127.0.0.1 only, for machines where
// Electron cannot run. Guards: a one-time random token (first WebSocket message), the Origin and Host headers
// (no other site and no DNS-rebound name may talk to it), and a strict CSP on the page.
// Wire format: docs/ARCHITECTURE.md, "Browser host protocol".
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { createAppService, type AppService } from '../app/service.js';
import { defaultSamplePath } from '../app/resources.js';
import { isRequestChannel } from '../../../shared/contract.js';
import type { WorkerSpawner } from '../training/worker-client.js';
import { contentType, resolveStaticFile, securityHeaders } from './static-files.js';

/** Close codes the page can act on (4000-4999 are free for applications). */
export const CLOSE_BAD_TOKEN = 4401;
export const CLOSE_BAD_MESSAGE = 4400;

const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
const TOKEN_WAIT_MS = 10_000;

export interface Host {
  url: string;
  token: string;
  port: number;
  service: AppService;
  close(): Promise<void>;
}

function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

export async function startHost(opts: {
  dataDir: string;
  port?: number;
  staticDir: string;
  samplePath?: string;
  spawner?: WorkerSpawner;
}): Promise<Host> {
  const staticDir = resolve(opts.staticDir);
  const token = randomBytes(32).toString('hex');
  const service = createAppService({ dataDir: opts.dataDir, spawner: opts.spawner, samplePath: opts.samplePath ?? defaultSamplePath() });
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const sendFile = (req: IncomingMessage, res: ServerResponse, port: number) => {
    const headers = securityHeaders([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);
    const file = resolveStaticFile(staticDir, new URL(req.url ?? '/', 'http://x').pathname);
    if (!file) {
      const missingBuild = !existsSync(join(staticDir, 'index.html'));
      res.writeHead(missingBuild ? 503 : 404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(missingBuild ? `The interface is not built (${staticDir} is missing); run \`npm run build\`.\n` : 'Not found.\n');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': contentType(file), 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };

  const server = createServer((req, res) => {
    const { port } = server.address() as AddressInfo;
    if (!allowedHosts.has(req.headers.host ?? '')) {
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('This server only answers to 127.0.0.1 and localhost.\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    sendFile(req, res, port);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const authenticated = new Set<WebSocket>();
  const unsubscribe = service.on((event, payload) => {
    const data = JSON.stringify({ event, payload });
    for (const socket of authenticated) socket.send(data);
  });

  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const allowed = path === '/api' && allowedHosts.has(req.headers.host ?? '') && allowedOrigins.has(req.headers.origin ?? '');
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    const tokenTimer = setTimeout(() => ws.close(CLOSE_BAD_TOKEN, 'wrong or missing token'), TOKEN_WAIT_MS);
    ws.on('close', () => {
      clearTimeout(tokenTimer);
      authenticated.delete(ws);
    });
    ws.on('message', (data) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(data.toString());
        if (typeof message !== 'object' || message === null) throw new Error('not an object');
      } catch {
        ws.close(CLOSE_BAD_MESSAGE, 'malformed message');
        return;
      }
      if (!authenticated.has(ws)) {
        clearTimeout(tokenTimer);
        if (!sameToken(token, message.token)) {
          ws.close(CLOSE_BAD_TOKEN, 'wrong or missing token');
          return;
        }
        authenticated.add(ws);
        ws.send(JSON.stringify({ ready: true }));
        return;
      }
      void answer(ws, message);
    });
  }

  async function answer(ws: WebSocket, message: Record<string, unknown>): Promise<void> {
    const { id, channel, arg } = message;
    if (typeof id !== 'number') {
      ws.close(CLOSE_BAD_MESSAGE, 'request without a numeric id');
      return;
    }
    let reply: unknown;
    try {
      if (!isRequestChannel(channel)) throw new Error(`Unknown request channel '${String(channel)}'.`);
      reply = { id, ok: true, result: await service.handle(channel, arg as never) };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      reply = { id, ok: false, error: { name: err.name, message: err.message } };
    }
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    token,
    port,
    service,
    async close() {
      unsubscribe();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await service.close();
    },
  };
}
