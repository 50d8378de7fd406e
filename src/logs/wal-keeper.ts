import { statSync } from "node:fs";
import type { Checkpointer, CheckpointResult } from "./checkpointer.ts";
import type { SinkReport } from "./sink-fault.ts";
import { describe, WAL_KEEP_BYTES } from "./store-database.ts";

export interface WalKeeperOptions {
  /** The database file (its WAL is `<file>-wal`). */
  file: string;
  pageSize: number;
  /**
   * The WAL's frames, and how many of them are already in the database file, read without
   * copying anything (`PRAGMA wal_checkpoint(NOOP)`, ~10 µs); undefined if it cannot be read.
   */
  measure: () => CheckpointResult | undefined;
  /** WAL not yet copied into the file that starts a checkpoint; default 2 MiB. */
  checkpointBytes?: number;
  /** The same during a burst (big commits): fewer, longer checkpoints; default 64 MiB. */
  burstCheckpointBytes?: number;
  /** WAL not yet copied at which writing waits for the running checkpoint; default 256 MiB. */
  limitBytes?: number;
  /** After this long without a commit, a WAL file left big (by a burst) is emptied; default 1 s. */
  idleMs?: number;
  /** A checkpoint ended: writing that waited for it may go on. */
  onSettled: () => void;
  report: SinkReport;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
/** A WAL past WAL_KEEP_BYTES with a few frames left to copy gets a checkpoint at most this often. */
const CATCH_UP_MS = 1000;

/**
 * Keeps the store's WAL small. After each commit it reads how much of the WAL is not yet in the
 * database file: from `checkpointBytes` on, a PASSIVE checkpoint copies it on the worker thread.
 * Once one has copied everything, the next commit starts the WAL over, and SQLite cuts the file
 * back to WAL_KEEP_BYTES: in steady state the WAL stays within a few MiB. A WAL that grew past
 * that size with frames left (commits came while the last checkpoint ran) gets another checkpoint
 * soon, so that it can start over. A checkpoint that makes no progress (a reader holds an old
 * snapshot) is retried after a growing delay rather than at once; a failing one is reported once.
 * When the store falls idle with a WAL file left big by a burst, the rest is copied and the file
 * emptied (TRUNCATE, which gives up at once if a reader is using the WAL).
 */
export class WalKeeper {
  /** Bytes of WAL not yet copied into the database file, and of the WAL since it started over. */
  private pending = 0;
  private generation = 0;
  private previous: CheckpointResult | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private failure: string | undefined;
  private closed = false;
  private readonly checkpointBytes: number;
  private readonly burstCheckpointBytes: number;
  /** Whether the last commit was a big one (a burst is being written). */
  private burst = false;
  private readonly limitBytes: number;
  private readonly idleMs: number;

  constructor(
    private readonly checkpointer: Checkpointer,
    private readonly options: WalKeeperOptions,
  ) {
    this.checkpointBytes = options.checkpointBytes ?? 2 * 1024 * 1024;
    this.burstCheckpointBytes = options.burstCheckpointBytes ?? 64 * 1024 * 1024;
    this.limitBytes = options.limitBytes ?? 256 * 1024 * 1024;
    this.idleMs = options.idleMs ?? 1000;
  }

  /** Whether writing should wait for the running checkpoint (the WAL is at its bound). */
  get full(): boolean {
    return this.pending >= this.limitBytes && this.checkpointer.busy;
  }

  /**
   * After each commit; `big`: one of a burst. A burst's WAL is copied in bigger steps (each
   * checkpoint competes with the burst for the disk and a core); once it is over, the small
   * steps take the WAL back within a few MiB.
   */
  committed(big: boolean): void {
    this.burst = big;
    this.measure();
    const catchUp =
      !big &&
      this.generation >= WAL_KEEP_BYTES &&
      this.pending > 0 &&
      performance.now() - this.lastStart >= CATCH_UP_MS;
    if (this.pending >= this.threshold() || catchUp) this.start();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.idle(), this.idleMs);
    this.idleTimer.unref();
  }

  private threshold(): number {
    return this.burst ? this.burstCheckpointBytes : this.checkpointBytes;
  }

  private measure(): void {
    const wal = this.options.measure();
    if (!wal || wal.log < 0) return;
    this.generation = wal.log * this.options.pageSize;
    this.pending = Math.max(0, wal.log - wal.checkpointed) * this.options.pageSize;
  }

  private start(then?: () => void): void {
    if (this.closed || this.checkpointer.busy || this.retryTimer) return;
    this.lastStart = performance.now();
    this.checkpointer.run("PASSIVE").then(
      (result) => {
        this.done(result);
        then?.();
      },
      (err) => this.failed(err),
    );
  }

  private done(result: CheckpointResult | undefined): void {
    if (this.closed) return;
    if (this.failure !== undefined) {
      this.options.report("info", `the log store ${this.options.file} is checkpointed again`);
      this.failure = undefined;
    }
    const stalled =
      result !== undefined &&
      this.previous !== undefined &&
      result.checkpointed < result.log &&
      result.checkpointed === this.previous.checkpointed &&
      result.log >= this.previous.log;
    if (result) this.previous = result;
    this.measure();
    this.options.onSettled();
    if (this.pending < this.threshold()) {
      this.attempts = 0;
      return;
    }
    if (stalled) this.retryLater();
    else this.start();
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
      this.start();
    }, delay);
    this.retryTimer.unref();
  }

  private walFileBytes(): number {
    try {
      return statSync(`${this.options.file}-wal`).size;
    } catch {
      return 0;
    }
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
    this.measure();
    if (this.pending > 0) this.start(() => this.truncateIfIdle());
    else this.truncateIfIdle();
  }

  /** Empties the WAL file if nothing was committed meanwhile and everything is copied. */
  private truncateIfIdle(): void {
    if (this.closed || this.idleTimer || this.pending > 0 || this.checkpointer.busy) return;
    this.checkpointer.run("TRUNCATE").then(
      (result) => this.done(result),
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
