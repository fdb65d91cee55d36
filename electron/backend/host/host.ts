// The browser host: the built renderer and the typed API over a WebSocket, on 127.0.0.1 only, for machines where
// Electron cannot run. Guards: a one-time random token, checked before the WebSocket exists (it travels as a
// subprotocol of the upgrade request, so no unauthenticated socket is ever opened and nothing is buffered for a
// stranger), the Origin and Host headers (no other site and no DNS-rebound name may talk to it), a cap on sockets
// and on message size, and a strict CSP on the page. Wire format: docs/ARCHITECTURE.md, "Browser host protocol".
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { createAppService, type AppService } from '../app/service.js';
import { defaultSamplePath } from '../app/resources.js';
import { isRequestChannel } from '../../../shared/contract.js';
import { replyTo } from '../../../shared/reply.js';
import type { WorkerSpawner } from '../training/worker-client.js';
import { contentType, resolveStaticFile, securityHeaders } from './static-files.js';

/** Close code the page can act on (4000-4999 are free for applications). */
export const CLOSE_BAD_MESSAGE = 4400;
/** The API's subprotocol, and the prefix of the one that carries the token (`token.<64 hex>`). */
export const API_PROTOCOL = 'finetune.v1';
export const TOKEN_PROTOCOL_PREFIX = 'token.';

/** Largest message: an upload chunk (2 MiB as base64) or a paste of documents to classify, with room to spare. */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Open API sockets at most (a page uses one; a reload briefly two). */
export const MAX_SOCKETS = 64;

export interface Host {
  url: string;
  token: string;
  port: number;
  service: AppService;
  close(): Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Constant-time comparison of fixed-length digests: any string (any length, any characters) is safe to compare. */
export function sameToken(expected: string, given: unknown): boolean {
  return typeof given === 'string' && timingSafeEqual(digest(given), digest(expected));
}

/** The token a WebSocket upgrade offers among its subprotocols, if any. */
function offeredToken(header: string | undefined): { api: boolean; token: string | null } {
  const protocols = (header ?? '').split(',').map((p) => p.trim());
  const token = protocols.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return { api: protocols.includes(API_PROTOCOL), token: token ? token.slice(TOKEN_PROTOCOL_PREFIX.length) : null };
}

/** Answers a refused upgrade and closes the connection once the answer is written (end() alone half-closes it). */
function refuse(socket: import('node:stream').Duplex, status: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
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

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    // The server answers with the API protocol, never with the token's.
    handleProtocols: (protocols) => (protocols.has(API_PROTOCOL) ? API_PROTOCOL : false),
  });
  const sockets = new Set<WebSocket>();
  const unsubscribe = service.on((event, payload) => {
    const data = JSON.stringify({ event, payload });
    for (const socket of sockets) socket.send(data);
  });

  server.on('upgrade', (req, socket, head) => {
    // A socket error before the upgrade completes must not reach the process (it would end it).
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const allowed = path === '/api' && allowedHosts.has(req.headers.host ?? '') && allowedOrigins.has(req.headers.origin ?? '');
    if (!allowed) return refuse(socket, '403 Forbidden');
    const offered = offeredToken(req.headers['sec-websocket-protocol']);
    if (!offered.api || !sameToken(token, offered.token)) return refuse(socket, '401 Unauthorized');
    if (sockets.size >= MAX_SOCKETS) return refuse(socket, '503 Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    sockets.add(ws);
    // Protocol errors (a reserved opcode, a message over the limit, bad UTF-8) end this socket, not the host.
    ws.on('error', () => ws.terminate());
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      let message: Record<string, unknown>;
      try {
        if (isBinary) throw new Error('binary');
        message = JSON.parse(data.toString());
        if (typeof message !== 'object' || message === null) throw new Error('not an object');
      } catch {
        ws.close(CLOSE_BAD_MESSAGE, 'malformed message');
        return;
      }
      void answer(ws, message);
    });
    ws.send(JSON.stringify({ ready: true }));
  }

  async function answer(ws: WebSocket, message: Record<string, unknown>): Promise<void> {
    const { id, channel, arg } = message;
    if (typeof id !== 'number') {
      ws.close(CLOSE_BAD_MESSAGE, 'request without a numeric id');
      return;
    }
    const reply = await replyTo(() => {
      if (!isRequestChannel(channel)) throw new Error(`Unknown request channel '${String(channel)}'.`);
      return service.handle(channel, arg as never);
    });
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, ...reply }));
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
