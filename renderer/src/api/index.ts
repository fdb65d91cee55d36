// Picks the transport: the Electron preload's window.finetune, or the browser host's WebSocket.
import type { FinetuneApi } from '../../../shared/api.js';
import { SocketApi } from './socket-client.js';
import { RemoteError, type ErrorCode } from '../../../shared/reply.js';

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
/** Words that lead a message, by the kind of failure (shared/reply.ts); the message says the specifics. */
const LEAD: Record<ErrorCode, string> = {
  invalid_argument: 'The app sent a request the service refuses (please report this): ',
  bad_input: '',
  not_found: 'Not found: ',
  busy: 'Please wait: ',
  cancelled: 'Stopped: ',
  unavailable: 'Not reachable: ',
  internal: '',
};

export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Electron wraps IPC rejections as "Error invoking remote method 'x': Error: <message>".
  const message = text.replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
  return error instanceof RemoteError ? `${LEAD[error.code]}${message}` : message;
}
