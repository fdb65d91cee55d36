// The one reply envelope of every API call, over IPC (electron/main/ipc.ts -> the preload) and over the browser
// host's WebSocket (electron/backend/host/host.ts -> renderer/src/api/socket-client.ts). An error keeps its kind
// (its name: 'AbortError', 'TypeError', ...) and its exact message across the boundary.

export interface ReplyError {
  name: string;
  message: string;
}

export type Reply<T = unknown> = { ok: true; result: T } | { ok: false; error: ReplyError };

/** Runs a handler and wraps what it returns or throws. */
export async function replyTo<T>(work: () => T | Promise<T>): Promise<Reply<T>> {
  try {
    return { ok: true, result: await work() };
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    return { ok: false, error: { name: err.name, message: err.message } };
  }
}

/** The result, or the error rethrown with its kind and message. */
export function unwrapReply<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.result;
  const error = new Error(reply.error.message);
  error.name = reply.error.name;
  throw error;
}
