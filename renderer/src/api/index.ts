// Picks the transport: the Electron preload's window.finetune, or the browser host's WebSocket.
import type { FinetuneApi } from '../../../shared/api.js';
import { SocketApi } from './socket-client.js';

declare global {
  interface Window {
    finetune?: FinetuneApi;
  }
}

function connect(): FinetuneApi {
  if (window.finetune) return window.finetune;
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new SocketApi(`${scheme}//${location.host}/api`, token);
}

export const api: FinetuneApi = connect();

/** An error as plain words for the user (the backend's messages already name file, row and reason). */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Electron wraps IPC rejections as "Error invoking remote method 'x': Error: <message>".
  return text.replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
}
