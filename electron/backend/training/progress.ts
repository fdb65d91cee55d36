// Throttled training progress with an ETA per phase, and a heartbeat that re-sends the latest state so the
// caller never waits more than half a second for news.
import type { TrainPhase, TrainProgress } from '../../../shared/domain.js';

const PROGRESS_INTERVAL_MS = 250;
const HEARTBEAT_MS = 400;
/** An ETA is only an estimate once this share of the phase is done and this much time has passed. */
const ETA_MIN_SHARE = 0.05;
const ETA_MIN_SECONDS = 2;

export class ProgressReporter {
  private phase: TrainPhase = 'prepare';
  private phaseStart = Date.now();
  private lastSent = 0;
  private latest: TrainProgress = { runId: null, phase: 'prepare', done: 0, total: 0, etaSeconds: null };
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly send: (p: TrainProgress) => void) {
    this.timer = setInterval(() => {
      if (Date.now() - this.lastSent >= HEARTBEAT_MS) this.flush();
    }, HEARTBEAT_MS / 2);
    this.timer.unref?.();
  }

  /**
   * force: always send (an epoch's end is a point on the user's learning curve and must not be throttled away).
   * The ETA is the time per unit so far times the units left, once enough of the phase has run to say so.
   */
  update(phase: TrainPhase, done: number, total: number, extra: Partial<TrainProgress> = {}, force = false): void {
    const changed = phase !== this.phase;
    if (changed) {
      this.phase = phase;
      this.phaseStart = Date.now();
    }
    const elapsed = (Date.now() - this.phaseStart) / 1000;
    const measurable = total > 0 && done / total >= ETA_MIN_SHARE && elapsed >= ETA_MIN_SECONDS;
    const etaSeconds = done >= total && total > 0 ? 0 : measurable && done < total ? (elapsed / done) * (total - done) : null;
    // A new phase starts clean: the previous phase's message, epoch and loss do not carry over.
    const carried = changed ? {} : this.latest;
    this.latest = { ...carried, ...extra, runId: null, phase, done, total, etaSeconds };
    if (force || changed || done === total || Date.now() - this.lastSent >= PROGRESS_INTERVAL_MS) this.flush();
  }

  flush(): void {
    this.lastSent = Date.now();
    this.send({ ...this.latest });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
