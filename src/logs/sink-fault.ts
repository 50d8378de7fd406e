/** How one place entries are written to is doing: a field of `GET /state`, a gauge in `/metrics`. */
export interface SinkHealth {
  sink: "store" | "file";
  /** The file written (the store's database, or a log file). */
  path: string;
  ok: boolean;
  /** What fails, while it fails. */
  error?: string;
  /** When it started failing (ISO 8601), while it fails. */
  since?: string;
  /** Entries (lines) that could not be written and were given up, since the instance started. */
  dropped: number;
}

/** A message about a sink's failure or recovery, for the other sinks. */
export type SinkReport = (severity: "error" | "info", message: string) => void;

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/**
 * The failure state of a sink that writes to a file: a failure is reported once (not once per
 * line), retried with a growing delay (0.5 s doubling up to 30 s), and its recovery reported with
 * what was dropped meanwhile. Reports are sent after the current call returns, so that a sink
 * never re-enters itself through the logger it reports to.
 */
export class SinkFault {
  private error: string | undefined;
  private since: number | undefined;
  private attempts = 0;
  private dropped = 0;
  private droppedInFailure = 0;

  constructor(
    private readonly sink: SinkHealth["sink"],
    private readonly path: string,
    /** How the reports name the sink, e.g. "log file /var/log/app.log". */
    private readonly name: string,
    private readonly report: SinkReport,
    private readonly now: () => number = Date.now,
  ) {}

  get failing(): boolean {
    return this.error !== undefined;
  }

  /** Records a failure; returns how long to wait before the next attempt. */
  failed(error: string, consequence: string): number {
    if (this.error === undefined) {
      this.since = this.now();
      this.send("error", `cannot write to the ${this.name}: ${error}; ${consequence}`);
    }
    this.error = error;
    this.attempts++;
    return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.attempts - 1));
  }

  /** A write went through: a failure, if there was one, is over. */
  recovered(): void {
    if (this.error === undefined) return;
    const seconds = Math.round((this.now() - (this.since ?? this.now())) / 1000);
    const lost =
      this.droppedInFailure > 0 ? `; ${this.droppedInFailure} entries could not be kept meanwhile` : "";
    this.send("info", `the ${this.name} is written again, after ${seconds} s of failure${lost}`);
    this.error = undefined;
    this.since = undefined;
    this.attempts = 0;
    this.droppedInFailure = 0;
  }

  /** Lines given up. */
  drop(lines: number): void {
    this.dropped += lines;
    this.droppedInFailure += lines;
  }

  health(): SinkHealth {
    const health: SinkHealth = {
      sink: this.sink,
      path: this.path,
      ok: this.error === undefined,
      dropped: this.dropped,
    };
    if (this.error !== undefined) {
      health.error = this.error;
      health.since = new Date(this.since ?? this.now()).toISOString();
    }
    return health;
  }

  private send(severity: "error" | "info", message: string): void {
    queueMicrotask(() => this.report(severity, message));
  }
}
