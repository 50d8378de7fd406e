import type Database from "better-sqlite3";
import type { LogEntry, Severity } from "./entry.ts";
import type { LogQuery } from "./query.ts";

/* The log store's table, shared by the instance's writer and `pup logs`' read-only reader. */

export const SCHEMA_VERSION = 1;

/**
 * `id` is the insertion order; reads order by time, then id, so that entries of the same
 * millisecond keep the order they were written in. Each index ends in `time_stamp` (and the
 * implicit rowid), so "the newest n matching" is a backward walk that stops after n rows.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    time_stamp INTEGER NOT NULL,
    process_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    text TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS entries_by_time ON entries (time_stamp);
  CREATE INDEX IF NOT EXISTS entries_by_process ON entries (process_id, time_stamp);
  CREATE INDEX IF NOT EXISTS entries_by_severity ON entries (severity, time_stamp);
  CREATE INDEX IF NOT EXISTS entries_by_process_severity ON entries (process_id, severity, time_stamp);
`;

export function createSchema(db: Database.Database): void {
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

interface Row {
  id: number;
  time_stamp: number;
  process_id: string;
  severity: Severity;
  category: string;
  text: string;
}

/** An entry and its position in the store, for readers that follow the store (`pup logs --follow`). */
export interface StoredEntry {
  id: number;
  entry: LogEntry;
}

function toEntry(row: Row): LogEntry {
  return {
    severity: row.severity,
    category: row.category,
    text: row.text,
    processId: row.process_id,
    timeStamp: row.time_stamp,
  };
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

/** Reads of the entries table; prepared statements are cached per shape of query. */
export class LogTable {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

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

  /** As `query`, with each entry's id. */
  queryWithIds(q: LogQuery): StoredEntry[] {
    const limit = q.limit ?? DEFAULT_LIMIT;
    if (limit <= 0) return [];
    const w = where(q);
    const rows = this.statement(
      `SELECT * FROM entries ${w.sql} ORDER BY time_stamp DESC, id DESC LIMIT ?`,
    ).all(...w.params, limit) as Row[];
    rows.reverse();
    return rows.map((row) => ({ id: row.id, entry: toEntry(row) }));
  }

  /** Entries written after `id` that match, in the order they were written. */
  after(id: number, q: LogQuery, limit = 10_000): StoredEntry[] {
    const w = where(q, id);
    const rows = this.statement(`SELECT * FROM entries ${w.sql} ORDER BY id LIMIT ?`).all(
      ...w.params,
      limit,
    ) as Row[];
    return rows.map((row) => ({ id: row.id, entry: toEntry(row) }));
  }

  /** The id of the newest entry, 0 when there is none. */
  lastId(): number {
    const row = this.statement("SELECT max(id) AS id FROM entries").get() as { id: number | null };
    return row.id ?? 0;
  }

  count(): number {
    return (this.statement("SELECT count(*) AS n FROM entries").get() as { n: number }).n;
  }
}
