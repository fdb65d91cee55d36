// Cancellation, one vocabulary for every stage (import, featurizing, search, training, prediction, export): work
// stops by throwing an AbortError, and whoever reports the outcome (CLI exit code, run status) asks isCancelled.

export function cancelledError(what = 'Training'): Error {
  const error = new Error(`${what} was cancelled`);
  error.name = 'AbortError';
  return error;
}

export function throwIfAborted(signal?: AbortSignal, what?: string): void {
  if (signal?.aborted) throw cancelledError(what);
}

/** True for a cancel however it surfaced: an AbortError (ours, Node's or a DOMException) or an aborted signal. */
export function isCancelled(error: unknown, signal?: AbortSignal): boolean {
  return (signal?.aborted ?? false) || (error instanceof Error && error.name === 'AbortError');
}
