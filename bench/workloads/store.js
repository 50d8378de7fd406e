import { existsSync } from "node:fs";
import path from "node:path";
import { sleep } from "../lib/procfs.js";

/**
 * pup's log store (issue 4): an SQLite database at .pup/pup.json-data/logs.db. The table is found
 * by its columns (one naming the process, one holding the text), so the harness does not depend on
 * the store's internals; a row may hold several lines (a column named like `line_count` says how
 * many), and a `category` column, when there is one, keeps the child's stdout lines apart from
 * pup's own messages about it. Returns undefined while pup has no store.
 */
async function openStore(dbFile) {
  if (!existsSync(dbFile)) return undefined;
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()) {
    const columns = db
      .prepare(`PRAGMA table_info("${name}")`)
      .all()
      .map((c) => c.name);
    const processColumn = columns.find((c) => /process/i.test(c));
    const textColumn = columns.find((c) => /^(text|message|line)$/i.test(c));
    const countColumn = columns.find((c) => /count/i.test(c));
    const categoryColumn = columns.find((c) => /^category$/i.test(c));
    if (processColumn && textColumn)
      return { db, table: name, processColumn, textColumn, countColumn, categoryColumn };
  }
  db.close();
  return undefined;
}

/**
 * When (ms since the epoch) the store held `total` stdout lines of `processId`, counted
 * incrementally by rowid while they arrive (or when the count last grew, if it stops growing for
 * 5 s); then the lines are read back: lost = lines missing, damaged = stored lines other than
 * `line`. Undefined while pup has no store.
 */
export async function storeCount(manager, processId, total, line) {
  const dbFile = path.join(manager.dataDir, "logs.db");
  let store;
  for (let i = 0; i < 100 && !store; i++) {
    store = await openStore(dbFile);
    if (!store) await sleep(100);
  }
  if (!store) return undefined;
  const { db, table, processColumn, textColumn, countColumn, categoryColumn } = store;
  try {
    const lines = countColumn ? `coalesce(sum("${countColumn}"), 0)` : "count(*)";
    const stdout = categoryColumn ? ` AND "${categoryColumn}" = 'stdout'` : "";
    const query = db.prepare(
      `SELECT ${lines} AS n, max(rowid) AS last FROM "${table}" WHERE rowid > ? AND "${processColumn}" = ?${stdout}`,
    );
    let count = 0;
    let after = 0;
    let lastChange = Date.now();
    let doneAt;
    for (;;) {
      const { n, last } = query.get(after, processId);
      const now = performance.timeOrigin + performance.now();
      if (n > 0) {
        count += n;
        after = last;
        lastChange = now;
      }
      if (count >= total) {
        doneAt = now;
        break;
      }
      if (now - lastChange > 5000) {
        doneAt = lastChange;
        break;
      }
      await sleep(20);
    }
    let good = 0;
    let damaged = 0;
    const rows = db
      .prepare(
        `SELECT ${countColumn ? `"${countColumn}" AS n` : "1 AS n"}, "${textColumn}" AS text FROM "${table}" WHERE "${processColumn}" = ?${stdout}`,
      )
      .iterate(processId);
    for (const row of rows) {
      for (const text of row.n > 1 ? row.text.split("\n") : [row.text]) {
        if (text === line) good++;
        else damaged++;
      }
    }
    return { doneAt, lost: total - good, damaged };
  } finally {
    db.close();
  }
}
