import type Database from "better-sqlite3";
import type { LogEntry, Severity } from "./entry.ts";
import type { LogQuery } from "./query.ts";

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

/** The entries of a row, oldest first. */
function expand(row: Row): StoredEntry[] {
  const texts = row.line_count > 1 ? row.text.split("\n") : [row.text];
  const first = row.id - texts.length + 1;
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

/** The WHERE clause and its parameters for the filters of a query. */
function where(q: LogQuery, afterId?: number): { sql: string; params: Array<string | number> } {
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
  if (afterId !== undefined) {
    clauses.push("id > ?");
    params.push(afterId);
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

  /** The newest `limit` entries that match, oldest first. */
  query(q: LogQuery): LogEntry[] {
    return this.queryWithIds(q).map((s) => s.entry);
  }

  /** As `query`, with each entry's number. */
  queryWithIds(q: LogQuery): StoredEntry[] {
    const limit = q.limit ?? DEFAULT_LIMIT;
    if (limit <= 0) return [];
    const w = where(q);
    // Every row holds at least one entry: `limit` rows are always enough; fewer are read when
    // rows hold many.
    const stmt = this.statement(
      `SELECT * FROM ${this.from} ${w.sql} ORDER BY time_stamp DESC, id DESC LIMIT ?`,
    );
    const rows: Row[] = [];
    let entries = 0;
    for (const row of stmt.iterate(...w.params, limit) as IterableIterator<Row>) {
      rows.push(row);
      entries += row.line_count;
      if (entries >= limit) break;
    }
    const found: StoredEntry[] = [];
    for (let i = rows.length - 1; i >= 0; i--) for (const s of expand(rows[i])) found.push(s);
    return found.length > limit ? found.slice(found.length - limit) : found;
  }

  /** Entries numbered after `id` that match, in the order they were written. */
  after(id: number, q: LogQuery, limit = 10_000): StoredEntry[] {
    const w = where(q, id);
    const stmt = this.statement(`SELECT * FROM ${this.from} ${w.sql} ORDER BY id LIMIT ?`);
    const found: StoredEntry[] = [];
    for (const row of stmt.iterate(...w.params, limit) as IterableIterator<Row>) {
      for (const s of expand(row)) if (s.id > id && found.length < limit) found.push(s);
      if (found.length >= limit) break;
    }
    return found;
  }

  /** The number of the newest entry, 0 when there is none. */
  lastId(): number {
    const row = this.statement(`SELECT max(id) AS id FROM ${this.from}`).get() as { id: number | null };
    return row.id ?? 0;
  }

  /** How many entries the store holds. */
  count(): number {
    const row = this.statement(`SELECT sum(line_count) AS n FROM ${this.from}`).get() as { n: number | null };
    return row.n ?? 0;
  }
}
