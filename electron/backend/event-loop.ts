// Long synchronous work (tokenising, parsing, training steps) is cut into slices with a yield between them, so a
// cancel message and the progress heartbeat get their turn.

/** Lets pending events (a cancel message, progress flushes) run; cheap enough to call between batches. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
