// The preload exposes exactly the typed API (shared/api.ts) as window.finetune: invoke() only for the request
// channels, on() only for the event channels, nothing generic. Bundled as CommonJS (sandboxed preloads need it).
import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS, type FinetuneApi } from '../../shared/api.js';

type IpcReply = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string } };

const api: FinetuneApi = {
  async invoke(channel, arg) {
    if (!REQUEST_CHANNELS.includes(channel)) throw new Error(`Unknown request channel '${String(channel)}'.`);
    const reply = (await ipcRenderer.invoke(channel, arg)) as IpcReply;
    if (reply.ok) return reply.result as never;
    const error = new Error(reply.error.message);
    error.name = reply.error.name;
    throw error;
  },
  on(event, listener) {
    if (!EVENT_CHANNELS.includes(event)) throw new Error(`Unknown event channel '${String(event)}'.`);
    const forward = (_event: unknown, payload: unknown) => listener(payload as never);
    ipcRenderer.on(event, forward);
    return () => ipcRenderer.removeListener(event, forward);
  },
};

contextBridge.exposeInMainWorld('finetune', api);
