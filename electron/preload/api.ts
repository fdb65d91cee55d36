// What the preload exposes as window.finetune: exactly the typed API (shared/api.ts), invoke() only for the request
// channels and on() only for the event channels, nothing generic. ipcRenderer comes in as an argument so
// test/ipc.test.ts can drive it with a stand-in.
import type { IpcRenderer } from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS, type FinetuneApi } from '../../shared/api.js';
import { unwrapReply, type Reply } from '../../shared/reply.js';

export function preloadApi(ipcRenderer: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): FinetuneApi {
  return {
    async invoke(channel, arg) {
      if (!REQUEST_CHANNELS.includes(channel)) throw new Error(`Unknown request channel '${String(channel)}'.`);
      return unwrapReply((await ipcRenderer.invoke(channel, arg)) as Reply) as never;
    },
    on(event, listener) {
      if (!EVENT_CHANNELS.includes(event)) throw new Error(`Unknown event channel '${String(event)}'.`);
      const forward = (_event: unknown, payload: unknown) => listener(payload as never);
      ipcRenderer.on(event, forward);
      return () => ipcRenderer.removeListener(event, forward);
    },
  };
}
