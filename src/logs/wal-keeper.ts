import { statSync } from "node:fs";
import type { Checkpointer, CheckpointMode, CheckpointResult } from "./checkpointer.ts";
import type { SinkReport } from "./sink-fault.ts";
import { describe, WAL_KEEP_BYTES } from "./store-database.ts";

/** Pages a commit rewrites at least: the last page of the table and of each of its four indexes. */
const PAGES_PER_COMMIT = 5;

export interface WalKeeperOptions {
  /** The database file (its WAL is `<file>-wal`). */
  file: string;
  pageSize: number;
  /** WAL written since the last checkpoint that starts the next one; default 4 MiB. */
  checkpointBytes?: number;
  /** WAL not yet checkpointed at which writing waits for the running checkpoint; default 256 MiB. */
  limitBytes?: number;
  /** After this long without a commit, a WAL file left big (by a burst) is emptied; default 1 s. */
  idleMs?: number;
  /** A checkpoint ended: writing that waited for it may go on. */
  onSettled: () => void;
  report: SinkReport;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/**
 * Keeps the store's WAL small. Each commit adds to an estimate of the WAL not yet copied into the
 * database file (its text plus the pages every commit rewrites); past `checkpointBytes`, or when
 * the WAL file has grown past twice the size SQLite cuts it back to, a PASSIVE checkpoint runs on
 * the worker. Once one has copied everything, the next commit starts the WAL over and SQLite cuts
 * the file back to WAL_KEEP_BYTES: in steady state the WAL stays within a few MiB. A checkpoint
 * that makes no progress (a reader holds an old snapshot) is retried after a growing delay rather
 * than at once; a failing one is reported once. When the store falls idle with a WAL file left big
 * by a burst, the rest is copied and the file emptied (TRUNCATE, which gives up at once if a
 * reader is using the WAL).
 */
export class WalKeeper {
  /** Bytes in the WAL not yet copied into the file (an estimate, corrected by each checkpoint). */
  private pending = 0;
  /** Estimated bytes committed since the running checkpoint started. */
  private sinceStart = 0;
  private previous: CheckpointResult | undefined;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private failure: string | undefined;
  private closed = false;
  private readonly checkpointBytes: number;
  private readonly limitBytes: number;
  private readonly idleMs: number;

  constructor(
    private readonly checkpointer: Checkpointer,
    private readonly options: WalKeeperOptions,
  ) {
    this.checkpointBytes = options.checkpointBytes ?? 4 * 1024 * 1024;
    this.limitBytes = options.limitBytes ?? 256 * 1024 * 1024;
    this.idleMs = options.idleMs ?? 1000;
  }

  /** Whether writing should wait for the running checkpoint (the WAL is at its bound). */
  get full(): boolean {
    return this.pending >= this.limitBytes && this.checkpointer.busy;
  }

  /** After each commit of `bytes` of text. */
  committed(bytes: number): void {
    const grown = bytes + PAGES_PER_COMMIT * this.options.pageSize;
    this.pending += grown;
    this.sinceStart += grown;
    if (this.pending >= this.checkpointBytes || this.walFileBytes() > 2 * WAL_KEEP_BYTES)
      this.start("PASSIVE");
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.idle(), this.idleMs);
    this.idleTimer.unref();
  }

  private walFileBytes(): number {
    try {
      return statSync(`${this.options.file}-wal`).size;
    } catch {
      return 0;
    }
  }

  private start(mode: CheckpointMode): void {
    if (this.closed || this.checkpointer.busy || this.retryTimer) return;
    this.sinceStart = 0;
    this.checkpointer.run(mode).then(
      (result) => this.done(mode, result),
      (err) => this.failed(err),
    );
  }

  private done(mode: CheckpointMode, result: CheckpointResult | undefined): void {
    if (this.closed) return;
    if (this.failure !== undefined) {
      this.options.report("info", `the log store ${this.options.file} is checkpointed again`);
      this.failure = undefined;
    }
    if (result === undefined) {
      // No way to checkpoint (a TRUNCATE without the worker): nothing to correct.
      this.options.onSettled();
      return;
    }
    const left = Math.max(0, result.log - result.checkpointed) * this.options.pageSize;
    const stalled =
      mode === "PASSIVE" &&
      left > 0 &&
      this.previous !== undefined &&
      result.checkpointed === this.previous.checkpointed &&
      result.log >= this.previous.log;
    this.previous = result;
    this.pending = left + this.sinceStart;
    this.options.onSettled();
    if (this.pending < this.checkpointBytes) {
      this.attempts = 0;
      return;
    }
    if (stalled) this.retryLater();
    else this.start("PASSIVE");
  }

  private failed(err: unknown): void {
    if (this.closed) return;
    const message = describe(err);
    if (this.failure === undefined) {
      this.options.report(
        "error",
        `cannot checkpoint the log store ${this.options.file}: ${message}; retrying`,
      );
    }
    this.failure = message;
    this.options.onSettled();
    this.retryLater();
  }

  private retryLater(): void {
    if (this.retryTimer) return;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempts++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start("PASSIVE");
    }, delay);
    this.retryTimer.unref();
  }

  /** No commit for a while: a WAL file left big is copied out and emptied. */
  private idle(): void {
    this.idleTimer = undefined;
    if (this.closed || this.walFileBytes() <= WAL_KEEP_BYTES) return;
    if (this.checkpointer.busy || this.retryTimer) {
      this.idleTimer = setTimeout(() => this.idle(), this.idleMs);
      this.idleTimer.unref();
      return;
    }
    const copied = this.previous !== undefined && this.pending === 0;
    if (!copied) {
      this.sinceStart = 0;
      this.checkpointer.run("PASSIVE").then(
        (result) => {
          this.done("PASSIVE", result);
          if (this.pending === 0 && !this.idleTimer) this.truncate();
        },
        (err) => this.failed(err),
      );
      return;
    }
    this.truncate();
  }

  private truncate(): void {
    this.sinceStart = 0;
    this.checkpointer.run("TRUNCATE").then(
      (result) => this.done("TRUNCATE", result),
      (err) => this.failed(err),
    );
  }

  /** Waits for a running checkpoint and ends the worker. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.idleTimer);
    await this.checkpointer.close();
  }
}
