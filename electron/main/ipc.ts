// The typed API over IPC: one ipcMain.handle per request channel, each refusing any sender but the app's own
// top-level page; results travel as a Reply (shared/reply.ts) so the preload rethrows the exact error. Electron's
// objects come in as arguments (main.ts passes the real ones, test/ipc.test.ts stand-ins).
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { REQUEST_CHANNELS } from '../../shared/api.js';
import { replyTo, type Reply } from '../../shared/reply.js';
import type { AppService } from '../backend/app/service.js';
import { isTrustedFrame } from './trust.js';

export interface IpcPorts {
  ipcMain: Pick<IpcMain, 'handle'>;
  /** The web contents of every open window, which receive the service's events. */
  windows: () => Array<Pick<WebContents, 'send' | 'isDestroyed'>>;
}

type Sender = Pick<IpcMainInvokeEvent, 'senderFrame'>;

export function registerIpc(service: AppService, ports: IpcPorts): void {
  for (const channel of REQUEST_CHANNELS) {
    ports.ipcMain.handle(channel, (event: Sender, arg: unknown): Promise<Reply> =>
      replyTo(() => {
        if (!isTrustedFrame(event.senderFrame)) {
          throw new Error(`Refused '${channel}' from ${event.senderFrame?.url ?? 'an unknown frame'}: not the Finetune window.`);
        }
        return service.handle(channel, arg as never);
      }),
    );
  }
  service.on((event, payload) => {
    for (const contents of ports.windows()) {
      if (!contents.isDestroyed()) contents.send(event, payload);
    }
  });
}
