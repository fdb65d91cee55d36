// The browser-host client: the FinetuneApi contract over a WebSocket at /api, authenticated by the token
// the host put in the page URL (?token=...). Wire format: docs/ARCHITECTURE.md "Browser host protocol".
import type { EventChannel, EventChannels, FinetuneApi, RequestArg, RequestChannel, RequestResult } from '../../../shared/api.js';

interface Pending {
  resolve: (value: any) => void;
  reject: (reason: Error) => void;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
type Push = { event: EventChannel; payload: unknown };

export class SocketApi implements FinetuneApi {
  #url: string;
  #socket: WebSocket | null = null;
  #opening: Promise<WebSocket> | null = null;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Map<EventChannel, Set<(payload: any) => void>>();

  constructor(url: string) {
    this.#url = url;
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
      const socket = new WebSocket(this.#url);
      socket.onopen = () => {
        this.#socket = socket;
        this.#opening = null;
        resolve(socket);
      };
      socket.onerror = () => {
        this.#opening = null;
        reject(new Error('Cannot reach the Finetune service on this computer. Is the Finetune window or `npm run serve` still running? Reload the page once it is.'));
      };
      socket.onclose = () => this.#dropped(socket);
      socket.onmessage = (message) => this.#receive(String(message.data));
    });
    return this.#opening;
  }

  #receive(data: string): void {
    const message = JSON.parse(data) as Reply | Push;
    if ('event' in message) {
      for (const listener of this.#listeners.get(message.event) ?? []) listener(message.payload);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new Error(message.error));
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
