import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { errorMessage } from "../common/errors.ts";
import { Checkpointer, type CheckpointResult } from "./checkpointer.ts";
import type { LogEntry, LogLines, Severity } from "./entry.ts";
import { createSchema, LogTable } from "./log-table.ts";
import type { LogQuery, LogReader } from "./query.ts";
import type { LogSink } from "./sink.ts";

/** Longer lines are stored cut to this many bytes, with a marker (files get them whole). */
export const MAX_STORED_TEXT_BYTES = 64 * 1024;

export interface LogStoreOptions {
  /** The database file (created with its folder when missing). */
  file: string;
  /** Entries older than this are purged; 0 keeps them forever. */
  retentionHours: number;
  /** Problems of the store: reported once each, never thrown at the producers. */
  onError: (message: string) => void;
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
  /** How often old entries are purged; default every 10 minutes. */
  purgeIntervalMs?: number;
  /** Rows deleted per purge step; default 5 000. */
  purgeStep?: number;
  now?: () => number;
}

const ROWS_PER_INSERT = 100;
/** WAL written since the last checkpoint that starts the next one. */
const WAL_CHECKPOINT_BYTES = 64 * 1024 * 1024;
/** WAL not yet checkpointed at which writing waits for the checkpoint (the file's bound). */
const WAL_LIMIT_BYTES = 256 * 1024 * 1024;

/**
 * A row as it waits to be written: one entry, or lines read together (their bytes, stored as
 * text: they are valid UTF-8, checked when they were read).
 */
interface PendingRow {
  timeStamp: number;
  processId: string;
  severity: Severity;
  category: string;
  count: number;
  text: string | Buffer;
}

/** The bytes without their final "\n", to be stored as text (the lines joined by "\n"). */
function linesText(lines: LogLines): string | Buffer {
  const { bytes } = lines;
  const body = bytes.subarray(0, bytes.length - 1);
  if (!mayHaveLongLine(body)) return body;
  // A line over the limit is stored cut: the lines one by one.
  return body
    .toString("utf8")
    .split("\n")
    .map((line) => storedText(line))
    .join("\n");
}

/**
 * Whether a line of `body` may be longer than MAX_STORED_TEXT_BYTES: only when the first line
 * is, or when what follows it is longer than that (a pipe read is 64 KiB: the first line is the
 * one that can have started in an earlier read).
 */
function mayHaveLongLine(body: Buffer): boolean {
  if (body.length <= MAX_STORED_TEXT_BYTES) return false;
  const first = body.indexOf(0x0a);
  if (first === -1 || first > MAX_STORED_TEXT_BYTES) return true;
  return body.length - first - 1 > MAX_STORED_TEXT_BYTES;
}

const TRUNCATED = (bytes: number) => ` [… truncated: the line had ${bytes} bytes]`;

/** The text as stored: whole when at most MAX_STORED_TEXT_BYTES, else cut there with a marker. */
export function storedText(text: string): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts need no counting.
  if (text.length * 3 <= MAX_STORED_TEXT_BYTES) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= MAX_STORED_TEXT_BYTES) return text;
  // Cutting inside a character leaves a replacement character at the end: drop it.
  const cut = Buffer.from(text)
    .subarray(0, MAX_STORED_TEXT_BYTES)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return cut + TRUNCATED(bytes);
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB");
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = errorMessage(err);
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Opens (creating) the database, WAL mode, schema in place. Throws what SQLite throws. */
function openDatabase(file: string): Database.Database {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 5000 });
  try {
    // A row of lines is up to ~64 KiB: 16 KiB pages store it with ~30 % less CPU than SQLite's
    // 4 KiB (fewer overflow pages and WAL frames), while a small commit still rewrites little.
    // Takes effect when the file is created.
    db.pragma("page_size = 16384");
    db.pragma("journal_mode = WAL");
    // With WAL, NORMAL loses nothing when pup crashes, at most the last commits when the OS does.
    db.pragma("synchronous = NORMAL");
    // Checkpoints (copying the WAL into the file, with two fsyncs) are the store's own, on a
    // worker thread (Checkpointer), not SQLite's automatic ones on this thread after a commit.
    // The WAL file is cut back to 64 MiB after each.
    db.pragma("wal_autocheckpoint = 0");
    db.pragma(`journal_size_limit = ${WAL_CHECKPOINT_BYTES}`);
    createSchema(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The instance's embedded log store (SQLite): a LogSink that buffers entries and writes them in
 * batched transactions off the line-reading path, and a LogReader for `GET /logs` and plugins.
 * Lines a child wrote in one read of its pipe are one row (LogTable), taken as the bytes they came
 * in: a burst of 2 M lines is ~5 000 rows and no string per line.
 *
 * The buffer is bounded (100 000 lines or 8 MiB of text, plus the read that crosses the mark):
 * past its high-water mark `write` returns false and the producers (a child's pipe) wait for
 * `drained()`, so a burst costs time, never lines or memory. The WAL is copied into the file on a
 * worker thread (Checkpointer) and bounded too: at 256 MiB writing waits for the copy. Old entries
 * are purged in bounded steps. Failures are reported, never thrown: a corrupt file is moved aside
 * and replaced by a fresh one; a store that cannot be written drops what it cannot store (the
 * console and the files still have it).
 */
export class LogStore implements LogSink, LogReader {
  private db: Database.Database | undefined;
  private table: LogTable | undefined;
  private insertBatch: ((rows: PendingRow[]) => void) | undefined;
  private buffer: PendingRow[] = [];
  private bufferedBytes = 0;
  private bufferedEntries = 0;
  /** The number of the newest entry written (rows are numbered by their last entry). */
  private lastId = 0;
  private checkpointer: Checkpointer | undefined;
  /** Bytes in the WAL not yet checkpointed (an estimate: the text committed, or what a checkpoint reported). */
  private walBytes = 0;
  /** Text committed since the running checkpoint started. */
  private walBytesSinceCheckpoint = 0;
  private scheduled: NodeJS.Timeout | undefined;
  /** Whether the scheduled flush is the immediate one (a full batch is waiting). */
  private scheduledNow = false;
  private waiters: Array<() => void> = [];
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: NodeJS.Immediate | undefined;
  private readonly reported = new Set<string>();
  private closed = false;
  private readonly highWaterEntries: number;
  private readonly highWaterBytes: number;
  private readonly batchSize: number;
  private readonly batchBytes: number;
  private readonly flushDelayMs: number;
  private pageSize = 4096;
  private readonly purgeStep: number;
  private readonly now: () => number;

  private constructor(private readonly options: LogStoreOptions) {
    this.highWaterEntries = options.highWaterEntries ?? 100_000;
    this.highWaterBytes = options.highWaterBytes ?? 8 * 1024 * 1024;
    this.batchSize = options.batchSize ?? 5000;
    this.batchBytes = options.batchBytes ?? 4 * 1024 * 1024;
    this.flushDelayMs = options.flushDelayMs ?? 20;
    this.purgeStep = options.purgeStep ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Open the store, replacing a corrupt file by a fresh one. Throws when the file cannot be
   * opened or created at all (the caller then keeps entries in memory only).
   */
  static open(options: LogStoreOptions): LogStore {
    const store = new LogStore(options);
    store.connect();
    store.startPurging();
    return store;
  }

  get file(): string {
    return this.options.file;
  }

  /** Entries accepted and not yet written. */
  get backlog(): number {
    return this.bufferedEntries;
  }

  /** Bytes of text accepted and not yet written. */
  get backlogBytes(): number {
    return this.bufferedBytes;
  }

  private connect(): void {
    let db: Database.Database;
    try {
      db = openDatabase(this.options.file);
    } catch (err) {
      if (!isCorruption(err)) throw err;
      this.moveAside(err);
      db = openDatabase(this.options.file);
    }
    this.db = db;
    this.table = new LogTable(db);
    this.lastId = this.table.lastId();
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    void this.checkpointer?.close();
    this.checkpointer = new Checkpointer(
      this.options.file,
      () => (db.pragma("wal_checkpoint(PASSIVE)") as CheckpointResult[])[0],
      (message) => this.report(message),
    );
    this.pageSize = pageSize;
    this.walBytes = 0;
    // Rows go in ROWS_PER_INSERT at a time: one call into SQLite per group instead of per row.
    // Lines come as bytes (bound as a blob) and are stored as the text they are.
    const insert = (rows: number) =>
      db.prepare(
        `INSERT INTO chunks (id, time_stamp, process_id, severity, category, line_count, text) VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?, CAST(? AS TEXT))").join(", ")}`,
      );
    const insertGroup = insert(ROWS_PER_INSERT);
    const insertOne = insert(1);
    const params: Array<string | number | Buffer> = new Array(ROWS_PER_INSERT * 7);
    this.insertBatch = db.transaction((rows: PendingRow[]) => {
      let id = this.lastId;
      let i = 0;
      for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
        for (let k = 0; k < ROWS_PER_INSERT; k++) {
          const r = rows[i + k];
          const o = k * 7;
          id += r.count;
          params[o] = id;
          params[o + 1] = r.timeStamp;
          params[o + 2] = r.processId;
          params[o + 3] = r.severity;
          params[o + 4] = r.category;
          params[o + 5] = r.count;
          params[o + 6] = r.text;
        }
        insertGroup.run(params);
      }
      for (; i < rows.length; i++) {
        const r = rows[i];
        id += r.count;
        insertOne.run(id, r.timeStamp, r.processId, r.severity, r.category, r.count, r.text);
      }
      // Only once the transaction went through: a failed one is retried with the same numbers.
      this.lastId = id;
    });
  }

  /** Keep a corrupt file (and its WAL) for inspection under a new name; the store starts afresh. */
  private moveAside(err: unknown): void {
    const file = this.options.file;
    const aside = `${file}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, "-")}`;
    renameSync(file, aside);
    for (const suffix of ["-wal", "-shm"]) {
      if (existsSync(file + suffix)) {
        if (suffix === "-wal") renameSync(file + suffix, aside + suffix);
        else rmSync(file + suffix, { force: true });
      }
    }
    this.report(
      `the log store ${file} is corrupt (${describe(err)}); moved it to ${aside} and started a new one`,
    );
  }

  private report(message: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    this.options.onError(message);
  }

  // --- LogSink ----------------------------------------------------------------------------------

  write(entry: LogEntry): boolean {
    if (this.closed || !this.db) return true;
    const { timeStamp, processId, severity, category } = entry;
    return this.accept({ timeStamp, processId, severity, category, count: 1, text: storedText(entry.text) });
  }

  /** Lines read together become one row (its lines cut to MAX_STORED_TEXT_BYTES each). */
  writeLines(lines: LogLines): boolean {
    if (this.closed || !this.db || lines.count === 0) return true;
    const { timeStamp, processId, severity, category, count } = lines;
    return this.accept({ timeStamp, processId, severity, category, count, text: linesText(lines) });
  }

  private accept(row: PendingRow): boolean {
    this.buffer.push(row);
    this.bufferedBytes += row.text.length;
    this.bufferedEntries += row.count;
    this.schedule();
    return !this.overHighWater();
  }

  /**
   * Rows are written a full batch at a time, or `flushDelayMs` after the first of a smaller one:
   * each commit rewrites the pages it touches, so fewer, bigger ones write less.
   */
  private schedule(): void {
    const now = this.bufferedBytes >= this.batchBytes || this.buffer.length >= this.batchSize;
    if (this.scheduled && (this.scheduledNow || !now)) return;
    clearTimeout(this.scheduled);
    this.scheduledNow = now;
    this.scheduled = setTimeout(() => this.flushStep(), now ? 0 : this.flushDelayMs);
  }

  private overHighWater(): boolean {
    return this.bufferedEntries >= this.highWaterEntries || this.bufferedBytes >= this.highWaterBytes;
  }

  drained(): Promise<void> {
    if (!this.overHighWater()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async flush(): Promise<void> {
    this.flushAll();
  }

  /** Write out the buffer, stop purging and close the database; later writes are ignored. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushAll();
    this.closed = true;
    this.stopPurging();
    // The worker's connection goes first: the last one to close checkpoints and removes the WAL.
    await this.checkpointer?.close();
    try {
      this.db?.close();
    } catch (err) {
      this.report(`cannot close the log store ${this.options.file}: ${describe(err)}`);
    }
    this.db = undefined;
    this.table = undefined;
  }

  /** One transaction of at most `batchSize` rows or `batchBytes`; the rest in the next turn of the event loop. */
  private flushStep(): void {
    this.scheduled = undefined;
    // A WAL at its bound waits for the running checkpoint, which then reschedules: the backlog
    // grows meanwhile and past its high-water mark the producers wait too.
    if (this.walBytes >= WAL_LIMIT_BYTES && this.checkpointer?.busy) return;
    this.writeBatch();
    if (this.buffer.length > 0) this.schedule();
  }

  private flushAll(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled);
      this.scheduled = undefined;
    }
    while (this.buffer.length > 0) this.writeBatch();
  }

  private writeBatch(): void {
    if (this.buffer.length === 0) return;
    let size = 0;
    let bytes = 0;
    let entries = 0;
    while (size < this.buffer.length && size < this.batchSize && bytes < this.batchBytes) {
      const row = this.buffer[size++];
      bytes += row.text.length;
      entries += row.count;
    }
    const batch = size === this.buffer.length ? this.buffer : this.buffer.slice(0, size);
    this.buffer = batch === this.buffer ? [] : this.buffer.slice(size);
    this.bufferedBytes -= bytes;
    this.bufferedEntries -= entries;
    this.guard(
      "write to",
      () => this.insertBatch?.(batch),
      () => this.insertBatch?.(batch),
    );
    this.walBytes += bytes;
    this.walBytesSinceCheckpoint += bytes;
    if (this.walBytes >= WAL_CHECKPOINT_BYTES) this.checkpoint();
    if (!this.overHighWater()) this.wake();
  }

  /** Start a checkpoint on the worker unless one runs; another follows while the WAL is big. */
  private checkpoint(): void {
    const checkpointer = this.checkpointer;
    if (!checkpointer || checkpointer.busy || this.closed) return;
    this.walBytesSinceCheckpoint = 0;
    void checkpointer.run().then((result) => {
      if (checkpointer !== this.checkpointer || this.closed) return;
      // What the checkpoint left (frames of pages), plus what was committed while it ran.
      const left = result ? Math.max(0, result.log - result.checkpointed) * this.pageSize : 0;
      this.walBytes = left + this.walBytesSinceCheckpoint;
      if (this.walBytes >= WAL_CHECKPOINT_BYTES) this.checkpoint();
      if (this.buffer.length > 0 && !this.scheduled) this.schedule();
    });
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Run a database operation. On corruption the file is moved aside, a fresh store opened and
   * `retry` run there; any other failure is reported once and the operation given up.
   */
  private guard<T>(what: string, op: () => T, retry?: () => T): T | undefined {
    if (!this.db) return undefined;
    try {
      return op();
    } catch (err) {
      if (!isCorruption(err)) {
        this.report(`cannot ${what} the log store ${this.options.file}: ${describe(err)}`);
        return undefined;
      }
      try {
        this.db.close();
      } catch {
        // it is being replaced anyway
      }
      this.db = undefined;
      this.table = undefined;
      try {
        this.moveAside(err);
        this.connect();
      } catch (again) {
        this.report(
          `the log store ${this.options.file} is unusable (${describe(again)}); entries are no longer stored`,
        );
        this.buffer = [];
        this.bufferedBytes = 0;
        this.bufferedEntries = 0;
        this.wake();
        return undefined;
      }
      try {
        return retry?.();
      } catch (failed) {
        this.report(`cannot ${what} the log store ${this.options.file}: ${describe(failed)}`);
        return undefined;
      }
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

  private startPurging(): void {
    if (this.options.retentionHours <= 0) return;
    void this.purge();
    this.purgeTimer = setInterval(() => void this.purge(), this.options.purgeIntervalMs ?? 10 * 60_000);
    this.purgeTimer.unref();
  }

  private stopPurging(): void {
    // A purge step already scheduled finds the database closed and ends.
    clearInterval(this.purgeTimer);
  }

  /**
   * Delete entries older than the retention, `purgeStep` rows per turn of the event loop.
   * Resolves with the number of rows deleted (by this call; 0 when a purge was already running).
   */
  purge(): Promise<number> {
    if (this.purging || !this.db || this.options.retentionHours <= 0) return Promise.resolve(0);
    const cutoff = this.now() - this.options.retentionHours * 3_600_000;
    const sql =
      "DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE time_stamp < ? ORDER BY time_stamp LIMIT ?)";
    let total = 0;
    return new Promise((resolve) => {
      const step = () => {
        this.purging = undefined;
        const deleted =
          this.guard("purge", () => this.db!.prepare(sql).run(cutoff, this.purgeStep).changes) ?? 0;
        total += deleted;
        if (deleted >= this.purgeStep && !this.closed) this.purging = setImmediate(step);
        else resolve(total);
      };
      step();
    });
  }
}
