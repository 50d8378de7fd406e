/**
 * Passes on the states of a line being redrawn (a progress bar) at most once per `intervalMs`:
 * the first at once, then the latest of those that came meanwhile when the interval is over.
 * A child redrawing a thousand times a second costs its subscribers ten messages.
 */
export class LineUpdates {
  private last = Number.NEGATIVE_INFINITY;
  private pending: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emit: (text: string) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(state: Buffer): void {
    const now = this.now();
    if (!this.timer && now - this.last >= this.intervalMs) {
      this.last = now;
      this.emit(state.toString("utf8"));
      return;
    }
    this.pending = state;
    if (this.timer) return;
    this.timer = setTimeout(() => this.emitPending(), this.last + this.intervalMs - now);
    // A progress bar's last state must not keep the instance alive.
    this.timer.unref();
  }

  private emitPending(): void {
    this.timer = undefined;
    const state = this.pending;
    this.pending = undefined;
    if (!state) return;
    this.last = this.now();
    this.emit(state.toString("utf8"));
  }

  /** The line has ended: its final state supersedes any update not yet sent. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}
