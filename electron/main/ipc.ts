// The typed API over IPC: one ipcMain.handle per request channel, each refusing any sender but the app's own
// top-level page; results travel as {ok, result} | {ok: false, error} so the preload rethrows the exact message.
import { BrowserWindow, ipcMain, type WebFrameMain } from 'electron';
import { REQUEST_CHANNELS } from '../../shared/api.js';
import type { AppService } from '../backend/app/service.js';

export type IpcReply = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string } };

export function registerIpc(service: AppService, isTrustedFrame: (frame: WebFrameMain | null) => boolean): void {
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, async (event, arg): Promise<IpcReply> => {
      try {
        if (!isTrustedFrame(event.senderFrame)) {
          throw new Error(`Refused '${channel}' from ${event.senderFrame?.url ?? 'an unknown frame'}: not the Finetune window.`);
        }
        return { ok: true, result: await service.handle(channel, arg as never) };
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        return { ok: false, error: { name: err.name, message: err.message } };
      }
    });
  }
  service.on((event, payload) => {
    for (const window of BrowserWindow.getAllWindows()) {
      if (!window.webContents.isDestroyed()) window.webContents.send(event, payload);
    }
  });
}
