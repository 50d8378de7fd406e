import type Database from "better-sqlite3";
import type { LogEntry, Severity } from "./entry.ts";
import { DEFAULT_ANSWER_BYTES, type LogQuery } from "./query.ts";

/* The log store's table, shared by the instance's writer and `pup logs`' read-only reader. */

/** 1: a row per entry (table `entries`); 2: a row per group of lines read together (`chunks`). */
export const SCHEMA_VERSION = 2;

/**
 * A row holds consecutive entries of one process that share severity, category and time: the
 * lines of one read of a child's pipe (a burst of 2 M lines is ~3 000 rows), or one entry.
 * `line_count` > 1: `text` is the lines joined by "\n"; 1: `text` is the entry's text whole, even
 * with a "\n" in it. Entries are numbered in the order they were written, from 1: `id` is the
 * number of the row's last entry (so the numbers of its entries are id - line_count + 1 … id).
 * Reads order by time, then id, so that entries of the same millisecond keep the order they were
 * written in. Each index ends in `time_stamp` (and the implicit rowid), so "the newest n matching"
 * is a backward walk that stops after n entries.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    time_stamp INTEGER NOT NULL,
    process_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    line_count INTEGER NOT NULL,
    text TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS chunks_by_time ON chunks (time_stamp);
  CREATE INDEX IF NOT EXISTS chunks_by_process ON chunks (process_id, time_stamp);
  CREATE INDEX IF NOT EXISTS chunks_by_severity ON chunks (severity, time_stamp);
  CREATE INDEX IF NOT EXISTS chunks_by_process_severity ON chunks (process_id, severity, time_stamp);
`;

/** Version 1 → 2: each entry becomes a row of one line, keeping its number. */
const MIGRATE_FROM_1 = `
  INSERT INTO chunks (id, time_stamp, process_id, severity, category, line_count, text)
    SELECT id, time_stamp, process_id, severity, category, 1, text FROM entries ORDER BY id;
  DROP TABLE entries;
`;

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Creates the schema, or brings a store of an earlier version up to this one (in one transaction). */
export function createSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    if (hasTable(db, "entries")) db.exec(MIGRATE_FROM_1);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

interface Row {
  id: number;
  time_stamp: number;
  process_id: string;
  severity: Severity;
  category: string;
  line_count: number;
  text: string;
}

/** An entry and its number in the store, for readers that follow the store (`pup logs --follow`). */
export interface StoredEntry {
  id: number;
  entry: LogEntry;
}

/** The entries of a row, oldest first; `skip`: leave out that many of its first ones. */
function expand(row: Row, skip = 0): StoredEntry[] {
  let texts = row.line_count > 1 ? row.text.split("\n") : [row.text];
  const first = row.id - texts.length + 1 + skip;
  if (skip > 0) texts = texts.slice(skip);
  return texts.map((text, k) => ({
    id: first + k,
    entry: {
      severity: row.severity,
      category: row.category,
      text,
      processId: row.process_id,
      timeStamp: row.time_stamp,
    },
  }));
}

const DEFAULT_LIMIT = 100;
/** Text read per page of `pages` and per call of `after`. */
const PAGE_BYTES = 4 * 1024 * 1024;
const PAGE_ROWS = 1000;

/** Where the newest entries of a query begin, and the newest entry of all when it was asked. */
export interface NewestStart {
  /** The oldest row holding one of them: its time and number, and how many of its first entries are older. */
  timeStamp: number;
  id: number;
  skip: number;
  lastId: number;
}

/** Bounds of a read beside the query's filters. */
interface Bounds {
  /** Rows numbered after this. */
  afterId?: number;
  /** Rows numbered up to this. */
  upToId?: number;
  /** Rows at or after this (time, number) in reading order; `exclusive`: after it. */
  from?: { timeStamp: number; id: number; exclusive: boolean };
}

/** The WHERE clause and its parameters for the filters of a query. */
function where(q: LogQuery, bounds: Bounds = {}): { sql: string; params: Array<string | number> } {
  const clauses: string[] = [];
  const params: Array<string | number> = [];
  if (q.processId !== undefined) {
    clauses.push("process_id = ?");
    params.push(q.processId);
  }
  if (q.severity !== undefined) {
    clauses.push("severity = ?");
    params.push(q.severity);
  }
  if (q.start !== undefined) {
    clauses.push("time_stamp >= ?");
    params.push(q.start);
  }
  if (q.end !== undefined) {
    clauses.push("time_stamp <= ?");
    params.push(q.end);
  }
  if (bounds.afterId !== undefined) {
    clauses.push("id > ?");
    params.push(bounds.afterId);
  }
  if (bounds.upToId !== undefined) {
    clauses.push("id <= ?");
    params.push(bounds.upToId);
  }
  if (bounds.from) {
    clauses.push(`(time_stamp, id) ${bounds.from.exclusive ? ">" : ">="} (?, ?)`);
    params.push(bounds.from.timeStamp, bounds.from.id);
  }
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

/**
 * Reads of the store; prepared statements are cached per shape of query. A store of version 1
 * (not yet migrated by an instance) is read as rows of one entry each.
 */
export class LogTable {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly from: string;

  constructor(private readonly db: Database.Database) {
    this.from =
      !hasTable(db, "chunks") && hasTable(db, "entries")
        ? "(SELECT id, time_stamp, process_id, severity, category, 1 AS line_count, text FROM entries)"
        : "chunks";
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** The newest `limit` entries that match, oldest first, at most `maxBytes` of text (the newest kept). */
  query(q: LogQuery): LogEntry[] {
    return this.queryWithIds(q).map((s) => s.entry);
  }

  /** As `query`, with each entry's number. */
  queryWithIds(q: LogQuery): StoredEntry[] {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const maxBytes = q.maxBytes ?? DEFAULT_ANSWER_BYTES;
    if (limit <= 0) return [];
    const w = where(q);
    // Every row holds at least one entry: `limit` rows are always enough; fewer are read when
    // rows hold many.
    const stmt = this.statement(
      `SELECT * FROM ${this.from} ${w.sql} ORDER BY time_stamp DESC, id DESC LIMIT ?`,
    );
    // Newest first, then turned around.
    const found: StoredEntry[] = [];
    let bytes = 0;
    for (const row of stmt.iterate(...w.params, limit) as IterableIterator<Row>) {
      const entries = expand(row);
      for (let k = entries.length - 1; k >= 0 && found.length < limit; k--) {
        bytes += Buffer.byteLength(entries[k].entry.text);
        if (bytes > maxBytes && found.length > 0) return found.reverse();
        found.push(entries[k]);
      }
      if (found.length >= limit) break;
    }
    return found.reverse();
  }

  /**
   * Where the newest `limit` entries that match begin (undefined: none match), read without their
   * text; `pages` then reads them in order.
   */
  newestStart(q: LogQuery): NewestStart | undefined {
    const limit = q.limit ?? DEFAULT_LIMIT;
    if (limit <= 0) return undefined;
    const lastId = this.lastId();
    const w = where(q, { upToId: lastId });
    const stmt = this.statement(
      `SELECT time_stamp, id, line_count FROM ${this.from} ${w.sql} ORDER BY time_stamp DESC, id DESC`,
    );
    let entries = 0;
    let start: NewestStart | undefined;
    for (const row of stmt.iterate(...w.params) as IterableIterator<Omit<Row, "text">>) {
      entries += row.line_count;
      start = { timeStamp: row.time_stamp, id: row.id, skip: Math.max(0, entries - limit), lastId };
      if (entries >= limit) break;
    }
    return start;
  }

  /**
   * The entries from `start` on that match, in pages of at most ~4 MiB of text, each read in its
   * own short transaction (a slow reader never holds the store's WAL).
   */
  *pages(q: LogQuery, start: NewestStart): Generator<StoredEntry[]> {
    const { timeStamp, id, skip, lastId } = start;
    let from = { timeStamp, id, exclusive: false };
    let skipping = skip;
    for (;;) {
      const w = where(q, { upToId: lastId, from });
      const stmt = this.statement(
        `SELECT * FROM ${this.from} ${w.sql} ORDER BY time_stamp, id LIMIT ${PAGE_ROWS}`,
      );
      const page: StoredEntry[] = [];
      let bytes = 0;
      let last: Row | undefined;
      for (const row of stmt.iterate(...w.params) as IterableIterator<Row>) {
        for (const s of expand(row, skipping)) page.push(s);
        skipping = 0;
        last = row;
        bytes += row.text.length;
        if (bytes >= PAGE_BYTES) break;
      }
      if (!last) return;
      yield page;
      from = { timeStamp: last.time_stamp, id: last.id, exclusive: true };
    }
  }

  /** Entries numbered after `id` that match, in the order they were written (at most ~4 MiB of text). */
  after(id: number, q: LogQuery, limit = 10_000): StoredEntry[] {
    const w = where(q, { afterId: id });
    const stmt = this.statement(`SELECT * FROM ${this.from} ${w.sql} ORDER BY id LIMIT ?`);
    const found: StoredEntry[] = [];
    let bytes = 0;
    for (const row of stmt.iterate(...w.params, limit) as IterableIterator<Row>) {
      for (const s of expand(row)) if (s.id > id && found.length < limit) found.push(s);
      bytes += row.text.length;
      if (found.length >= limit || bytes >= PAGE_BYTES) break;
    }
    return found;
  }

  /** The number of the newest entry, 0 when there is none. */
  lastId(): number {
    const row = this.statement(`SELECT max(id) AS id FROM ${this.from}`).get() as { id: number | null };
    return row.id ?? 0;
  }
}
