import type Database from "better-sqlite3";
import { fileIdentity } from "../common/file-identity.ts";
import { Checkpointer, type CheckpointResult } from "./checkpointer.ts";
import type { LogEntry, LogLines } from "./entry.ts";
import { LogTable } from "./log-table.ts";
import type { LogQuery, LogReader } from "./query.ts";
import { RowQueue } from "./row-queue.ts";
import type { LogSink } from "./sink.ts";
import { SinkFault, type SinkHealth, type SinkReport } from "./sink-fault.ts";
import {
  describe,
  isCorruption,
  moveAside,
  openDatabase,
  type PendingRow,
  prepareInsert,
} from "./store-database.ts";
import { Retention } from "./store-retention.ts";
import { linesText, storedText } from "./stored-text.ts";
import { WalKeeper } from "./wal-keeper.ts";

export { MAX_STORED_TEXT_BYTES, storedText } from "./stored-text.ts";

/** Default of `logger.maxStoreMb`: the store's data is kept under this size. */
export const DEFAULT_MAX_STORE_MB = 512;

export interface LogStoreOptions {
  /** The database file (created with its folder when missing; mode 0600). */
  file: string;
  /** Entries older than this are purged; 0 keeps them whatever their age. */
  retentionHours: number;
  /** The oldest entries are removed while the data is larger; default DEFAULT_MAX_STORE_MB MiB; 0: no limit. */
  maxBytes?: number;
  /**
   * Problems of the store, and their end: reported once each, never thrown at the producers.
   * `severity` is "error" for a problem, "info" for a recovery.
   */
  onError: (message: string, severity?: "error" | "info") => void;
  /** Answers queries when the store has failed for good. */
  fallback?: LogReader;
  /** Entries (lines) held before `write` asks producers to wait; default 100 000. */
  highWaterEntries?: number;
  /** Text (bytes, or UTF-16 units) held before `write` asks producers to wait; default 8 MiB. */
  highWaterBytes?: number;
  /** Rows per transaction; default 5 000. */
  batchSize?: number;
  /** Text per transaction; default 4 MiB, so that one flush blocks the event loop only briefly. */
  batchBytes?: number;
  /** How long a part batch waits for more before it is written; default 20 ms. */
  flushDelayMs?: number;
  /** The least time between two small commits (a trickle of lines); default 500 ms. */
  trickleIntervalMs?: number;
  /** WAL not yet copied into the file that starts a checkpoint; default 2 MiB. */
  walCheckpointBytes?: number;
  /** How often old entries are purged; default every 10 minutes. */
  purgeIntervalMs?: number;
  /** Rows deleted per purge step; default 5 000. */
  purgeStep?: number;
  now?: () => number;
}

/**
 * A commit smaller than this is "small": it still rewrites the last page of the table and of each
 * index (5 × 16 KiB), so small commits are kept `trickleIntervalMs` apart. Lines a second apart
 * then cost a page rewrite per half second, not per line.
 */
const SMALL_COMMIT_BYTES = 256 * 1024;

/**
 * The instance's embedded log store (SQLite): a LogSink that buffers entries and writes them in
 * batched transactions off the line-reading path, and a LogReader for `GET /logs` and plugins.
 * Lines a child wrote in one read of its pipe are one row (LogTable), taken as the bytes they came
 * in: a burst of 2 M lines is ~5 000 rows and no string per line.
 *
 * - Bounded buffer: past its high-water mark (100 000 lines or 8 MiB) `write` returns false and
 *   producers (a child's pipe) wait for `drained()`, so a burst costs time, never lines or memory.
 * - Commit cadence: a full batch at once, a part batch `flushDelayMs` after its first row, and
 *   small commits at most one per `trickleIntervalMs`.
 * - Bounded files: the WAL is checkpointed on a worker thread and kept within a few MiB
 *   (WalKeeper); the data within `retentionHours` and `maxBytes` (Retention).
 * - Failures are reported once and retried (SinkFault), never thrown: while the store cannot be
 *   written (disk full…) producers do not wait, the newest entries up to the high-water mark are
 *   kept for the retry and older ones dropped and counted. A corrupt file is moved aside and
 *   replaced; a file removed or replaced while the instance runs is noticed before the next commit
 *   and a new one started in its place.
 */
export class LogStore implements LogSink, LogReader {
  private db: Database.Database | undefined;
  private table: LogTable | undefined;
  private insert: ((rows: PendingRow[], lastId: number) => number) | undefined;
  /** The store file's identity when opened: another one means it was removed or replaced. */
  private identity: string | undefined;
  private readonly queue = new RowQueue();
  /** The number of the newest entry written (rows are numbered by their last entry). */
  private lastId = 0;
  private wal: WalKeeper | undefined;
  private readonly retention: Retention;
  private readonly fault: SinkFault;
  private scheduled: NodeJS.Timeout | undefined;
  /** Whether the scheduled flush is the immediate one (a full batch is waiting). */
  private scheduledNow = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private replacing: Promise<void> | undefined;
  private lastCommitAt = Number.NEGATIVE_INFINITY;
  private lastCommitSmall = false;
  private waiters: Array<() => void> = [];
  private readonly reported = new Set<string>();
  private closed = false;
  private readonly highWaterEntries: number;
  private readonly highWaterBytes: number;
  private readonly batchSize: number;
  private readonly batchBytes: number;
  private readonly flushDelayMs: number;
  private readonly trickleIntervalMs: number;
  private readonly now: () => number;

  private constructor(private readonly options: LogStoreOptions) {
    this.highWaterEntries = options.highWaterEntries ?? 100_000;
    this.highWaterBytes = options.highWaterBytes ?? 8 * 1024 * 1024;
    this.batchSize = options.batchSize ?? 5000;
    this.batchBytes = options.batchBytes ?? 4 * 1024 * 1024;
    this.flushDelayMs = options.flushDelayMs ?? 20;
    this.trickleIntervalMs = options.trickleIntervalMs ?? 500;
    this.now = options.now ?? Date.now;
    const report: SinkReport = (severity, message) => options.onError(message, severity);
    this.fault = new SinkFault("store", options.file, `log store ${options.file}`, report, this.now);
    this.retention = new Retention(
      (what, op) => this.guard(what, () => op(this.db!)),
      {
        retentionHours: options.retentionHours,
        maxBytes: options.maxBytes ?? DEFAULT_MAX_STORE_MB * 1024 * 1024,
        purgeStep: options.purgeStep,
        purgeIntervalMs: options.purgeIntervalMs,
        now: this.now,
      },
      () =>
        this.report(
          `the log store ${options.file} reached its size limit (logger.maxStoreMb): the oldest entries are removed to make room`,
          "info",
        ),
    );
  }

  /**
   * Open the store, replacing a corrupt file by a fresh one. Throws when the file cannot be
   * opened or created at all (the caller then keeps entries in memory only).
   */
  static open(options: LogStoreOptions): LogStore {
    const store = new LogStore(options);
    store.connect();
    store.retention.start();
    return store;
  }

  /** Entries accepted and not yet written. */
  get backlog(): number {
    return this.queue.entries;
  }

  /** Bytes of text accepted and not yet written. */
  get backlogBytes(): number {
    return this.queue.bytes;
  }

  health(): SinkHealth[] {
    return [this.fault.health()];
  }

  private connect(): void {
    let db: Database.Database;
    try {
      db = openDatabase(this.options.file);
    } catch (err) {
      if (!isCorruption(err)) throw err;
      this.setAside(err);
      db = openDatabase(this.options.file);
    }
    this.db = db;
    this.identity = fileIdentity(this.options.file);
    this.table = new LogTable(db);
    this.lastId = this.table.lastId();
    this.insert = prepareInsert(db);
    const checkpointer = new Checkpointer(
      this.options.file,
      () => (db.pragma("wal_checkpoint(PASSIVE)") as CheckpointResult[])[0],
      (message) => this.report(message),
    );
    this.wal = new WalKeeper(checkpointer, {
      file: this.options.file,
      pageSize: db.pragma("page_size", { simple: true }) as number,
      measure: () =>
        this.guard("measure", () => (db.pragma("wal_checkpoint(NOOP)") as CheckpointResult[])[0]),
      checkpointBytes: this.options.walCheckpointBytes,
      onSettled: () => {
        if (this.queue.length > 0 && !this.scheduled) this.schedule();
      },
      // Not through report(): the keeper says each failure and recovery once per episode itself,
      // and a second episode with the same error must be said again.
      report: (severity, message) => this.options.onError(message, severity),
    });
  }

  private setAside(err: unknown): void {
    const aside = moveAside(this.options.file, this.now());
    this.report(
      `the log store ${this.options.file} is corrupt (${describe(err)}); moved it to ${aside} and started a new one`,
    );
  }

  private report(message: string, severity: "error" | "info" = "error"): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    this.options.onError(message, severity);
  }

  // --- LogSink ----------------------------------------------------------------------------------

  write(entry: LogEntry): boolean {
    if (this.closed) return true;
    const { timeStamp, processId, severity, category } = entry;
    return this.accept({ timeStamp, processId, severity, category, count: 1, text: storedText(entry.text) });
  }

  /** Lines read together become one row (its lines cut to MAX_STORED_TEXT_BYTES each). */
  writeLines(lines: LogLines): boolean {
    if (this.closed || lines.count === 0) return true;
    const { timeStamp, processId, severity, category, count } = lines;
    return this.accept({ timeStamp, processId, severity, category, count, text: linesText(lines) });
  }

  private accept(row: PendingRow): boolean {
    this.queue.push(row);
    if (this.fault.failing) {
      this.fault.drop(this.queue.dropOldest(this.highWaterEntries, this.highWaterBytes));
      return true;
    }
    this.schedule();
    return !this.overHighWater();
  }

  /** While the store fails, producers never wait: the queue is bounded by dropping instead. */
  private overHighWater(): boolean {
    if (this.fault.failing) return false;
    return this.queue.entries >= this.highWaterEntries || this.queue.bytes >= this.highWaterBytes;
  }

  /**
   * A full batch is written at once; a part batch `flushDelayMs` after its first row, but not
   * sooner than `trickleIntervalMs` after a small commit.
   */
  private schedule(): void {
    if (this.retryTimer || this.replacing) return;
    const full = this.queue.bytes >= this.batchBytes || this.queue.length >= this.batchSize;
    if (this.scheduled && (this.scheduledNow || !full)) return;
    clearTimeout(this.scheduled);
    this.scheduledNow = full;
    const wait = this.lastCommitSmall ? this.lastCommitAt + this.trickleIntervalMs - performance.now() : 0;
    this.scheduled = setTimeout(() => this.flushStep(), full ? 0 : Math.max(this.flushDelayMs, wait));
  }

  drained(): Promise<void> {
    if (!this.overHighWater()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async flush(): Promise<void> {
    this.flushAll();
    // A store being replaced takes what waits once it is open again.
    while (this.replacing) {
      await this.replacing;
      this.flushAll();
    }
  }

  /** Write out the buffer (one try if the store fails), stop purging and close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.flushAll(true);
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retention.stop();
    if (this.queue.entries > 0) {
      this.fault.drop(this.queue.entries);
      this.options.onError(
        `the log store ${this.options.file} could not be written: ${this.queue.entries} entries were not stored`,
      );
    }
    // The worker's connection goes first: the last one to close checkpoints and removes the WAL.
    await this.wal?.close();
    try {
      this.db?.close();
    } catch (err) {
      this.report(`cannot close the log store ${this.options.file}: ${describe(err)}`);
    }
    this.db = undefined;
    this.table = undefined;
    this.wake();
  }

  /** One transaction of at most `batchSize` rows or `batchBytes`; the rest in the next turn of the event loop. */
  private flushStep(): void {
    this.scheduled = undefined;
    // A WAL at its bound waits for the running checkpoint, which then reschedules: the backlog
    // grows meanwhile and past its high-water mark the producers wait too.
    if (this.wal?.full) return;
    if (this.writeBatch() && this.queue.length > 0) this.schedule();
  }

  /** Write out what waits; while the store fails, only when `evenIfFailing` (one last try). */
  private flushAll(evenIfFailing = false): void {
    if (this.retryTimer && !evenIfFailing) return;
    clearTimeout(this.scheduled);
    this.scheduled = undefined;
    while (this.queue.length > 0 && this.writeBatch()) {}
  }

  /** Writes the oldest rows; false when nothing could be written (see `fault`). */
  private writeBatch(): boolean {
    if (this.queue.length === 0 || this.replacing || this.closed) return false;
    if (!this.db && !this.reconnect()) return false;
    if (fileIdentity(this.options.file) !== this.identity) {
      // Said each time it happens, not once for the run: each removal is news to whoever reads the logs.
      this.replace(() =>
        this.options.onError(
          `the log store ${this.options.file} was removed or replaced while the instance ran; a new one is started in its place`,
          "info",
        ),
      );
      return false;
    }
    const batch = this.queue.take(this.batchSize, this.batchBytes);
    let bytes = 0;
    for (const row of batch) bytes += row.text.length;
    try {
      this.lastId = this.insert!(batch, this.lastId);
    } catch (err) {
      this.queue.putBack(batch);
      if (isCorruption(err)) this.replace(() => this.setAside(err));
      else this.failed(err);
      return false;
    }
    this.fault.recovered();
    this.lastCommitAt = performance.now();
    this.lastCommitSmall = bytes < SMALL_COMMIT_BYTES;
    this.wal?.committed(!this.lastCommitSmall);
    this.retention.committed();
    if (!this.overHighWater()) this.wake();
    return true;
  }

  /** A failed write: reported once, retried later; meanwhile producers do not wait. */
  private failed(err: unknown): void {
    const consequence = `retrying; meanwhile the newest ${this.highWaterEntries} entries are kept for it`;
    const delay = this.fault.failed(describe(err), consequence);
    this.fault.drop(this.queue.dropOldest(this.highWaterEntries, this.highWaterBytes));
    this.retryLater(delay);
    this.wake();
  }

  private retryLater(delay: number): void {
    clearTimeout(this.scheduled);
    this.scheduled = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flushStep();
    }, delay);
  }

  /** Opens the store again after it was closed (replaced, or failed to open); false if it cannot. */
  private reconnect(): boolean {
    try {
      this.connect();
      return true;
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  /**
   * Start a new store in place of the open one (corrupt, or removed under the instance), the rows
   * waiting kept for it. `before` runs first (moving a corrupt file aside); then both connections
   * to the old file are closed, the worker's first: the last one removes the WAL by its name, which
   * must not be the new store's yet.
   */
  private replace(before: () => void): void {
    const wal = this.wal;
    const db = this.db;
    this.db = undefined;
    this.table = undefined;
    this.wal = undefined;
    clearTimeout(this.scheduled);
    this.scheduled = undefined;
    this.replacing = (async () => {
      try {
        before();
      } catch (err) {
        this.report(`cannot move the log store ${this.options.file} aside: ${describe(err)}`);
      }
      await wal?.close();
      try {
        db?.close();
      } catch {
        // the old file is given up anyway
      }
      this.replacing = undefined;
      if (this.reconnect()) this.schedule();
    })();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Run a database operation; a failure is reported once and the operation given up. */
  private guard<T>(what: string, op: () => T): T | undefined {
    if (!this.db) return undefined;
    try {
      return op();
    } catch (err) {
      this.report(`cannot ${what} the log store ${this.options.file}: ${describe(err)}`);
      return undefined;
    }
  }

  // --- LogReader --------------------------------------------------------------------------------

  /** The newest matching entries, oldest first; includes entries accepted but not yet flushed. */
  query(q: LogQuery): LogEntry[] | Promise<LogEntry[]> {
    this.flushAll();
    if (!this.table) return this.options.fallback?.query(q) ?? [];
    return this.guard("read", () => this.table!.query(q)) ?? [];
  }

  // --- retention --------------------------------------------------------------------------------

  /** Delete entries older than the retention now; resolves with the number of rows deleted. */
  purge(): Promise<number> {
    return this.retention.purge();
  }
}
