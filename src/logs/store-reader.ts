import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { UserError } from "../common/errors.ts";
import type { LogEntry } from "./entry.ts";
import { LogTable, type NewestStart, type StoredEntry } from "./log-table.ts";
import type { LogQuery, LogReader } from "./query.ts";

export class NoLogStoreError extends UserError {
  constructor(readonly file: string) {
    super(
      `no log store at ${file}: the instance has not run yet, or runs with logger.internalLogHours 0`,
      404,
    );
  }
}

/**
 * The log store opened read-only, apart from any instance: what `pup logs` reads, also while the
 * instance is down. Never creates or changes the file.
 */
export class LogStoreReader implements LogReader {
  private readonly db: Database.Database;
  private readonly table: LogTable;

  constructor(readonly file: string) {
    if (!existsSync(file)) throw new NoLogStoreError(file);
    try {
      this.db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
      this.table = new LogTable(this.db);
      this.table.lastId();
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot read the log store ${file}: ${(err as Error).message}`);
    }
  }

  query(q: LogQuery): LogEntry[] {
    return this.table.query(q);
  }

  /** The newest matching entries and the id of the newest entry of all, read at one instant. */
  snapshot(q: LogQuery): { entries: StoredEntry[]; lastId: number } {
    return this.db.transaction(() => ({
      entries: this.table.queryWithIds(q),
      lastId: this.table.lastId(),
    }))();
  }

  /**
   * The newest matching entries (`q.limit` of them, with no limit on their size), oldest first,
   * in pages read one short transaction each; and the number of the newest entry of all when
   * asked, from which `after` follows.
   */
  newest(q: LogQuery): { lastId: number; pages: Iterable<StoredEntry[]> } {
    const start: NewestStart | undefined = this.table.newestStart(q);
    if (!start) return { lastId: this.table.lastId(), pages: [] };
    return { lastId: start.lastId, pages: this.table.pages(q, start) };
  }

  /** Matching entries written after `id`, in the order they were written (a page of them). */
  after(id: number, q: LogQuery, limit?: number): StoredEntry[] {
    return this.table.after(id, q, limit);
  }

  lastId(): number {
    return this.table.lastId();
  }

  close(): void {
    this.db.close();
  }
}
