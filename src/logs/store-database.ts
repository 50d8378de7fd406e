import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { errorMessage } from "../common/errors.ts";
import type { Severity } from "./entry.ts";
import { createSchema } from "./log-table.ts";

/* The log store's SQLite file: opening it as the store needs it, and writing rows. */

/** The WAL is cut back to this size whenever it starts over after a checkpoint. */
export const WAL_KEEP_BYTES = 4 * 1024 * 1024;

/** Only the instance's user may read the store: log lines can hold secrets. */
const FILE_MODE = 0o600;

/**
 * A row as it waits to be written: one entry, or lines read together (their bytes, stored as
 * text: they are valid UTF-8, checked when they were read).
 */
export interface PendingRow {
  timeStamp: number;
  processId: string;
  severity: Severity;
  category: string;
  count: number;
  text: string | Buffer;
}

export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB");
}

/** The error with its SQLite code (SQLITE_FULL…), once. */
export function describe(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = errorMessage(err);
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}

/** The store and its WAL and shared-memory files readable by the instance's user only. */
function restrictMode(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, "a", FILE_MODE));
  // SQLite gives the -wal and -shm files it creates the database file's mode; older ones are fixed.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(f).mode & 0o777) !== FILE_MODE) chmodSync(f, FILE_MODE);
    } catch {
      // not there (yet)
    }
  }
}

/** Opens (creating) the database, WAL mode, schema in place. Throws what SQLite throws. */
export function openDatabase(file: string): Database.Database {
  mkdirSync(path.dirname(file), { recursive: true });
  restrictMode(file);
  const db = new Database(file, { timeout: 5000 });
  try {
    // A row of lines is up to ~64 KiB: 16 KiB pages store it with ~30 % less CPU than SQLite's
    // 4 KiB (fewer overflow pages and WAL frames). Every commit rewrites at least the last page of
    // the table and of each index, which is why small commits are kept apart (LogStore).
    // Takes effect when the file is created.
    db.pragma("page_size = 16384");
    db.pragma("journal_mode = WAL");
    // With WAL, NORMAL loses nothing when pup crashes, at most the last commits when the OS does.
    db.pragma("synchronous = NORMAL");
    // Checkpoints (copying the WAL into the file, with two fsyncs) are the store's own, on a
    // worker thread (WalKeeper), not SQLite's automatic ones on this thread after a commit.
    db.pragma("wal_autocheckpoint = 0");
    db.pragma(`journal_size_limit = ${WAL_KEEP_BYTES}`);
    createSchema(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Keeps a corrupt file (and its WAL) for inspection under a new name; returns that name. */
export function moveAside(file: string, now: number): string {
  const aside = `${file}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, "-")}`;
  renameSync(file, aside);
  if (existsSync(`${file}-wal`)) renameSync(`${file}-wal`, `${aside}-wal`);
  rmSync(`${file}-shm`, { force: true });
  return aside;
}

const ROWS_PER_INSERT = 100;
const COLUMNS = 7;

/**
 * Writes rows in one transaction, numbering their entries after `lastId`; returns the new last
 * number. Rows go in ROWS_PER_INSERT at a time (one call into SQLite per group instead of per
 * row); lines come as bytes (bound as a blob) and are stored as the text they are.
 */
export function prepareInsert(db: Database.Database): (rows: PendingRow[], lastId: number) => number {
  const insert = (rows: number) =>
    db.prepare(
      `INSERT INTO chunks (id, time_stamp, process_id, severity, category, line_count, text) VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?, CAST(? AS TEXT))").join(", ")}`,
    );
  const insertGroup = insert(ROWS_PER_INSERT);
  const insertOne = insert(1);
  const params: Array<string | number | Buffer> = new Array(ROWS_PER_INSERT * COLUMNS);
  return db.transaction((rows: PendingRow[], lastId: number) => {
    let id = lastId;
    let i = 0;
    for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
      for (let k = 0; k < ROWS_PER_INSERT; k++) {
        const r = rows[i + k];
        const o = k * COLUMNS;
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
    return id;
  });
}
