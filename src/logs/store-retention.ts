import type Database from "better-sqlite3";

export interface RetentionOptions {
  /** Entries older than this are purged; 0 keeps them whatever their age. */
  retentionHours: number;
  /** The oldest entries are removed while the stored data is larger than this; 0: no limit. */
  maxBytes: number;
  /** Rows deleted per step (a step is one transaction, then the event loop runs); default 5 000. */
  purgeStep?: number;
  /** How often old entries are purged; default every 10 minutes. */
  purgeIntervalMs?: number;
  now?: () => number;
}

/** Run a database operation; undefined when it failed (the store reports why). */
export type Guard = <T>(what: string, op: (db: Database.Database) => T) => T | undefined;

/** A store over its size limit is trimmed to this share of it, so that trimming is not constant. */
const TRIM_TO = 0.9;

/**
 * What the log store keeps: entries younger than `retentionHours`, and at most `maxBytes` of
 * them (the oldest go first). Both are removed in steps of `purgeStep` rows with the event loop
 * running between them. Space freed inside the file is reused by new entries, so the file stays
 * about as large as the data it keeps (at most the size limit).
 */
export class Retention {
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<number> | undefined;
  private trimming: Promise<number> | undefined;
  private stopped = false;
  private readonly purgeStep: number;
  private readonly now: () => number;

  constructor(
    private readonly guard: Guard,
    private readonly options: RetentionOptions,
    /** Told once that the size limit was reached. */
    private readonly onLimit: () => void,
  ) {
    this.purgeStep = options.purgeStep ?? 5000;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.options.retentionHours <= 0) return;
    void this.purge();
    this.purgeTimer = setInterval(() => void this.purge(), this.options.purgeIntervalMs ?? 10 * 60_000);
    this.purgeTimer.unref();
  }

  stop(): void {
    // A step already scheduled finds the store closed and ends.
    this.stopped = true;
    clearInterval(this.purgeTimer);
  }

  /**
   * After a commit: over the size limit (two cheap pragmas tell), one step of trimming at once,
   * so that the file grows by at most a commit past the limit, and the rest in the background.
   */
  committed(): void {
    if (this.options.maxBytes <= 0) return;
    const live = this.guard("measure", liveBytes) ?? 0;
    if (live <= this.options.maxBytes) return;
    this.onLimit();
    this.trimStep();
    this.trimming ??= this.steps(
      () => this.trimStep(),
      (deleted) => deleted > 0 && (this.guard("measure", liveBytes) ?? 0) > this.options.maxBytes * TRIM_TO,
    ).finally(() => {
      this.trimming = undefined;
    });
  }

  /** Deletes the oldest rows holding what is over TRIM_TO of the limit (at most `purgeStep` rows). */
  private trimStep(): number {
    const target = this.options.maxBytes * TRIM_TO;
    return (
      this.guard("trim", (db) => {
        const live = liveBytes(db);
        return trimOldest(db, live - target, live, this.purgeStep);
      }) ?? 0
    );
  }

  /**
   * Delete entries older than the retention. Resolves with the number of rows deleted (by this
   * call; 0 when a purge was already running).
   */
  purge(): Promise<number> {
    if (this.purging || this.options.retentionHours <= 0) return Promise.resolve(0);
    const cutoff = this.now() - this.options.retentionHours * 3_600_000;
    const sql =
      "DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE time_stamp < ? ORDER BY time_stamp LIMIT ?)";
    this.purging = this.steps(
      () => this.guard("purge", (db) => db.prepare(sql).run(cutoff, this.purgeStep).changes) ?? 0,
      (deleted) => deleted >= this.purgeStep,
    ).finally(() => {
      this.purging = undefined;
    });
    return this.purging;
  }

  /** Runs `step` until `again` says no, a turn of the event loop between steps; sums what they deleted. */
  private steps(step: () => number, again: (deleted: number) => boolean): Promise<number> {
    let total = 0;
    return new Promise((resolve) => {
      const next = () => {
        if (this.stopped) return resolve(total);
        const deleted = step();
        total += deleted;
        if (again(deleted)) setImmediate(next);
        else resolve(total);
      };
      next();
    });
  }
}

/** Bytes of the file in use (pages not on the free list), including what is still in the WAL. */
function liveBytes(db: Database.Database): number {
  const pages = db.pragma("page_count", { simple: true }) as number;
  const free = db.pragma("freelist_count", { simple: true }) as number;
  const size = db.pragma("page_size", { simple: true }) as number;
  return (pages - free) * size;
}

/**
 * Deletes the oldest rows holding about `excess` of the `live` bytes, at most `maxRows`; returns
 * how many. Entries are numbered in the order they were written: the share of the numbers is
 * taken as the share of the bytes (each step measures again), so no text is read.
 */
function trimOldest(db: Database.Database, excess: number, live: number, maxRows: number): number {
  if (excess <= 0 || live <= 0) return 0;
  const { lo, hi } = db.prepare("SELECT min(id) AS lo, max(id) AS hi FROM chunks").get() as {
    lo: number | null;
    hi: number | null;
  };
  if (lo === null || hi === null) return 0;
  const cut = lo + Math.ceil((hi - lo) * Math.min(1, excess / live));
  return db
    .prepare("DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE id <= ? ORDER BY id LIMIT ?)")
    .run(cut, maxRows).changes;
}
