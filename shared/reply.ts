// The one reply envelope of every API call, over IPC (electron/main/ipc.ts -> the preload) and over the browser
// host's WebSocket (electron/backend/host/host.ts -> renderer/src/api/socket-client.ts). An error keeps its kind
// (its name: 'AbortError', 'TypeError', ...) and its exact message across the boundary.

/** What kind of failure it was, for the UI and the CLI to word (the message says the specifics). */
export type ErrorCode =
  | 'invalid_argument' // a call the contract refuses
  | 'bad_input' // the user's data or request cannot be used as it is
  | 'not_found' // no such project, run, label or document
  | 'busy' // something else is running that this must wait for
  | 'cancelled' // stopped by the user
  | 'unavailable' // an outside service (a local language model) does not answer
  | 'internal'; // anything else: a defect, or the machine failing

/** The error classes the backend throws, by name, and their code; unknown names are 'internal'. */
const CODE_OF_NAME: Record<string, ErrorCode> = {
  ArgumentError: 'invalid_argument',
  TaxonomyError: 'bad_input',
  ImportError: 'bad_input',
  SourceProblem: 'bad_input',
  ProjectFileError: 'bad_input',
  ProjectVersionError: 'bad_input',
  UsageError: 'bad_input',
  RunError: 'not_found',
  NoModelYet: 'bad_input',
  ProjectBusyError: 'busy',
  BusyError: 'busy',
  AbortError: 'cancelled',
  LlmError: 'unavailable',
  RunImportError: 'bad_input',
  AuditPackError: 'bad_input',
  UploadError: 'bad_input',
  DownloadError: 'not_found',
};

export function errorCodeOf(name: string): ErrorCode {
  return CODE_OF_NAME[name] ?? 'internal';
}

export interface ReplyError {
  code: ErrorCode;
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
    return { ok: false, error: { code: errorCodeOf(err.name), name: err.name, message: err.message } };
  }
}

/** An error that crossed a process boundary, with its code. */
export class RemoteError extends Error {
  constructor(
    readonly code: ErrorCode,
    name: string,
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** The result, or the error rethrown with its kind, code and message. */
export function unwrapReply<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.result;
  throw new RemoteError(reply.error.code ?? errorCodeOf(reply.error.name), reply.error.name, reply.error.message);
}
