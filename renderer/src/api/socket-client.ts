// The browser-host client: the FinetuneApi contract over a WebSocket at /api, authenticated by the token the host
// put in the page URL (?token=...), offered as a subprotocol of the upgrade so the host checks it before the socket
// exists. Wire format: docs/ARCHITECTURE.md "Browser host protocol".
import type { EventChannel, EventChannels, FinetuneApi, RequestArg, RequestChannel, RequestResult } from '../../../shared/api.js';
import { unwrapReply, type Reply } from '../../../shared/reply.js';

interface Pending {
  resolve: (value: any) => void;
  reject: (reason: Error) => void;
}

type Answer = Reply & { id: number };
type Push = { event: EventChannel; payload: unknown };
type Ready = { ready: true };

/** The API's subprotocol and the one carrying the token (electron/backend/host/host.ts). */
const API_PROTOCOL = 'finetune.v1';
const TOKEN_PROTOCOL_PREFIX = 'token.';

export class SocketApi implements FinetuneApi {
  #url: string;
  #token: string;
  #socket: WebSocket | null = null;
  #opening: Promise<WebSocket> | null = null;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Map<EventChannel, Set<(payload: any) => void>>();

  constructor(url: string, token: string) {
    this.#url = url;
    this.#token = token;
  }

  async invoke<C extends RequestChannel>(channel: C, arg: RequestArg<C>): Promise<RequestResult<C>> {
    const socket = await this.#connect();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, channel, arg }));
    });
  }

  on<E extends EventChannel>(event: E, listener: (payload: EventChannels[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    // Events only flow over an open socket; open it now so a page that only listens still hears them.
    this.#connect().catch(() => undefined);
    return () => set.delete(listener);
  }

  #connect(): Promise<WebSocket> {
    if (this.#socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.#socket);
    if (this.#opening) return this.#opening;
    this.#opening = new Promise<WebSocket>((resolve, reject) => {
      // A token that is not 64 hex characters cannot be a subprotocol (the constructor would throw): send a blank one,
      // which the host refuses like any wrong token.
      const token = /^[0-9a-f]{64}$/.test(this.#token) ? this.#token : '0';
      const socket = new WebSocket(this.#url, [API_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
      let opened = false;
      socket.onopen = () => {
        opened = true;
        this.#socket = socket;
        this.#opening = null;
        resolve(socket);
      };
      socket.onerror = () => {
        this.#opening = null;
        // The host refuses a wrong token before the socket opens; the page cannot tell that from "not running".
        reject(new Error(this.#token
          ? 'Cannot reach the Finetune service on this computer, or this page\'s access token is no longer valid. Open the link Finetune printed when it started (it ends in ?token=…); if Finetune was closed, start it again.'
          : 'This page was opened without its access token. Open the link Finetune printed when it started (it ends in ?token=…).'));
      };
      socket.onclose = () => {
        if (opened) this.#dropped(socket);
      };
      socket.onmessage = (message) => this.#receive(String(message.data));
    });
    return this.#opening;
  }

  #receive(data: string): void {
    const message = JSON.parse(data) as Answer | Push | Ready;
    if ('ready' in message) return;
    if ('event' in message) {
      for (const listener of this.#listeners.get(message.event) ?? []) listener(message.payload);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    try {
      pending.resolve(unwrapReply(message));
    } catch (error) {
      pending.reject(error as Error);
    }
  }

  #dropped(socket: WebSocket): void {
    if (this.#socket === socket) this.#socket = null;
    const lost = new Error('The connection to the Finetune service was lost. Your saved work is safe; try again.');
    for (const pending of this.#pending.values()) pending.reject(lost);
    this.#pending.clear();
    // Pushed events (training progress) only arrive over an open socket: reopen while anyone listens.
    const listening = [...this.#listeners.values()].some((set) => set.size > 0);
    if (listening) setTimeout(() => this.#connect().catch(() => undefined), 2000);
  }
}
