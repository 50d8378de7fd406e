import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import type { LogEntry, LogLines, Severity } from "../../src/logs/entry.ts";
import { LogStore, MAX_STORED_TEXT_BYTES, storedText } from "../../src/logs/log-store.ts";
import { SCHEMA_VERSION } from "../../src/logs/log-table.ts";
import { type LogQuery, matches } from "../../src/logs/query.ts";
import { LogStoreReader, NoLogStoreError } from "../../src/logs/store-reader.ts";
import { tempDir } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

const { dir: root, cleanup } = tempDir("pup-store-");
const stores: LogStore[] = [];
after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  cleanup();
});

let n = 0;
function open(options: Partial<Parameters<typeof LogStore.open>[0]> = {}) {
  const errors: string[] = [];
  const file = options.file ?? path.join(root, `s${++n}`, "logs.db");
  const store = LogStore.open({ file, retentionHours: 0, onError: (m) => errors.push(m), ...options });
  stores.push(store);
  return { store, file, errors };
}

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const PROCESSES = ["web", "worker", "core"];
const SEVERITIES: Severity[] = ["log", "info", "warn", "error"];

/** 600 entries over 10 minutes: every process and severity, several per millisecond. */
function sample(): LogEntry[] {
  const entries: LogEntry[] = [];
  for (let i = 0; i < 600; i++) {
    entries.push({
      processId: PROCESSES[i % 3],
      severity: SEVERITIES[Math.floor(i / 3) % 4],
      category: i % 5 === 0 ? "stderr" : "stdout",
      text: `line ${i}`,
      timeStamp: T0 + Math.floor(i / 2) * 1000,
    });
  }
  return entries;
}

/** What a query must return, computed the slow and obvious way. */
function expected(all: LogEntry[], q: LogQuery): LogEntry[] {
  const found = all.filter((e) => matches(e, q));
  return found.slice(Math.max(0, found.length - (q.limit ?? 100)));
}

describe("log store", () => {
  test("filters, time ranges and limits return exactly the right rows, oldest first", async () => {
    const { store, file } = open();
    const all = sample();
    for (const e of all) store.write(e);
    await store.flush();
    const queries: LogQuery[] = [
      {},
      { limit: 1 },
      { limit: 10_000 },
      { processId: "web" },
      { processId: "web", limit: 7 },
      { severity: "error", limit: 1000 },
      { processId: "worker", severity: "warn", limit: 1000 },
      { start: T0 + 60_000, end: T0 + 120_000, limit: 1000 },
      { start: T0 + 60_000, end: T0 + 60_000, limit: 1000 },
      { start: T0 + 250_000 },
      { end: T0 + 5_000, limit: 3 },
      { processId: "core", severity: "log", start: T0 + 30_000, end: T0 + 200_000, limit: 4 },
      { processId: "nobody" },
      { start: T0 + 1_000_000 },
    ];
    const reader = new LogStoreReader(file);
    try {
      for (const q of queries) {
        assert.deepEqual(await store.query(q), expected(all, q), JSON.stringify(q));
        assert.deepEqual(reader.query(q), expected(all, q), `read-only: ${JSON.stringify(q)}`);
      }
    } finally {
      reader.close();
    }
    // Spot checks that do not depend on the reference implementation.
    const newest = await store.query({ limit: 2 });
    assert.deepEqual(
      newest.map((e) => e.text),
      ["line 598", "line 599"],
    );
    const range = await store.query({ start: T0 + 1000, end: T0 + 1000 });
    assert.deepEqual(
      range.map((e) => e.text),
      ["line 2", "line 3"],
    );
  });

  test("lines read together are one row; every query returns the same entries as one per line", async () => {
    const { store, file } = open();
    // Entries and groups of lines, interleaved: groups of 1 to 40 lines, several in one
    // millisecond, different processes and severities; some entries share a group's time.
    const all: LogEntry[] = [];
    let rows = 0;
    for (let i = 0; i < 300; i++) {
      const processId = PROCESSES[i % 3];
      const severity = SEVERITIES[(i >> 1) % 4];
      const timeStamp = T0 + Math.floor(i / 3) * 1000;
      if (i % 4 === 3) {
        const entry = { processId, severity, category: "api", text: `entry ${i}\nwith a newline`, timeStamp };
        store.write(entry);
        all.push(entry);
      } else {
        const texts = Array.from({ length: 1 + ((i * 7) % 40) }, (_, k) => `line ${i}.${k} ünï`);
        const lines: LogLines = {
          processId,
          severity,
          category: "stdout",
          timeStamp,
          bytes: Buffer.from(`${texts.join("\n")}\n`),
          count: texts.length,
        };
        store.writeLines(lines);
        for (const text of texts) all.push({ processId, severity, category: "stdout", text, timeStamp });
      }
      rows++;
    }
    await store.flush();
    const db = new Database(file, { readonly: true });
    assert.equal((db.prepare("SELECT count(*) AS n FROM chunks").get() as { n: number }).n, rows);
    db.close();
    const queries: LogQuery[] = [
      {},
      { limit: 1 },
      { limit: 7 },
      { limit: 10_000 },
      { processId: "web", limit: 33 },
      { severity: "error", limit: 1000 },
      { processId: "worker", severity: "warn", limit: 25 },
      { start: T0 + 20_000, end: T0 + 40_000, limit: 1000 },
      { start: T0 + 20_000, end: T0 + 20_000, limit: 5 },
      { end: T0 + 5_000, limit: 3 },
      { processId: "core", severity: "log", start: T0 + 3_000, end: T0 + 80_000, limit: 4 },
    ];
    const reader = new LogStoreReader(file);
    try {
      for (const q of queries) {
        assert.deepEqual(await store.query(q), expected(all, q), JSON.stringify(q));
        assert.deepEqual(reader.query(q), expected(all, q), `read-only: ${JSON.stringify(q)}`);
      }
      // Entries are numbered 1… in the order they were written, also inside a row: following
      // from any number, 13 at a time, gives exactly the entries after it.
      const { entries, lastId } = reader.snapshot({ limit: 5 });
      assert.equal(lastId, all.length);
      assert.deepEqual(
        entries.map((s) => s.id),
        [all.length - 4, all.length - 3, all.length - 2, all.length - 1, all.length],
      );
      for (const from of [0, 1, 2, 17, 500, all.length - 1, all.length]) {
        const followed: LogEntry[] = [];
        let id = from;
        for (;;) {
          const next = reader.after(id, {}, 13);
          if (next.length === 0) break;
          assert.deepEqual(
            next.map((s) => s.id),
            next.map((_, k) => id + k + 1),
          );
          followed.push(...next.map((s) => s.entry));
          id = next[next.length - 1].id;
        }
        assert.deepEqual(followed, all.slice(from), `after ${from}`);
      }
      const webErrors = reader.after(0, { processId: "web", severity: "error" });
      assert.deepEqual(
        webErrors.map((s) => s.entry),
        all.filter((e) => e.processId === "web" && e.severity === "error"),
      );
    } finally {
      reader.close();
    }
  });

  test("a line over 64 KiB among lines read together is cut, the others whole", async () => {
    const { store } = open();
    const long = "L".repeat(70_000);
    const texts = ["short", long, "after"];
    store.writeLines({
      processId: "a",
      severity: "log",
      category: "stdout",
      timeStamp: T0,
      bytes: Buffer.from(`${texts.join("\n")}\n`),
      count: 3,
    });
    assert.deepEqual(
      (await store.query({})).map((e) => e.text),
      ["short", storedText(long), "after"],
    );
    assert.match(storedText(long), /truncated: the line had 70000 bytes/);
  });

  test("a store of the first version (a row per entry) is read as it is, and migrated when opened", async () => {
    const dir = path.join(root, "v1");
    mkdirSync(dir);
    const file = path.join(dir, "logs.db");
    const v1 = new Database(file);
    v1.pragma("journal_mode = WAL");
    v1.exec(`
      CREATE TABLE entries (id INTEGER PRIMARY KEY, time_stamp INTEGER NOT NULL, process_id TEXT NOT NULL,
        severity TEXT NOT NULL, category TEXT NOT NULL, text TEXT NOT NULL);
      CREATE INDEX entries_by_time ON entries (time_stamp);
      CREATE INDEX entries_by_process ON entries (process_id, time_stamp);
      CREATE INDEX entries_by_severity ON entries (severity, time_stamp);
      CREATE INDEX entries_by_process_severity ON entries (process_id, severity, time_stamp);
      PRAGMA user_version = 1;
    `);
    const all = sample();
    const insert = v1.prepare(
      "INSERT INTO entries (time_stamp, process_id, severity, category, text) VALUES (?, ?, ?, ?, ?)",
    );
    for (const e of all) insert.run(e.timeStamp, e.processId, e.severity, e.category, e.text);
    v1.close();
    const queries: LogQuery[] = [
      {},
      { processId: "web", limit: 7 },
      { severity: "error", start: T0 + 60_000 },
    ];

    const before = new LogStoreReader(file);
    for (const q of queries) assert.deepEqual(before.query(q), expected(all, q), `v1: ${JSON.stringify(q)}`);
    assert.equal(before.lastId(), all.length);
    before.close();

    const { store, errors } = open({ file });
    const more: LogEntry = {
      processId: "web",
      severity: "log",
      category: "stdout",
      text: "new",
      timeStamp: T0 + 999_000,
    };
    store.write(more);
    await store.flush();
    assert.deepEqual(errors, []);
    const after = new LogStoreReader(file);
    try {
      for (const q of queries) {
        assert.deepEqual(after.query(q), expected([...all, more], q), `migrated: ${JSON.stringify(q)}`);
      }
      assert.deepEqual(
        after.after(all.length - 1, {}).map((s) => [s.id, s.entry.text]),
        [
          [all.length, all[all.length - 1].text],
          [all.length + 1, "new"],
        ],
        "entries keep their numbers; new ones follow",
      );
    } finally {
      after.close();
    }
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'entries'").get(), undefined);
    db.close();
  });

  test("a burst is copied from the WAL into the file by checkpoints off the main thread, while the store is open", async () => {
    const { store, file, errors } = open();
    const line = "x".repeat(99);
    const bytes = Buffer.from(`${line}\n`.repeat(650));
    const reads = 1100; // 71.5 MB, past the 64 MiB that starts a checkpoint
    for (let i = 0; i < reads; i++) {
      const ok = store.writeLines({
        processId: "a",
        severity: "log",
        category: "stdout",
        timeStamp: T0,
        bytes,
        count: 650,
      });
      if (!ok) await store.drained();
    }
    await store.flush();
    // SQLite never checkpoints by itself here (wal_autocheckpoint 0): only the worker can have
    // copied the pages into the database file.
    await waitFor(
      () => statSync(file).size > 64 * 1024 * 1024,
      "the database file to hold the burst",
      30_000,
      50,
    );
    const reader = new LogStoreReader(file);
    try {
      assert.equal(reader.lastId(), reads * 650);
      assert.deepEqual(
        reader.query({ limit: 2 }).map((e) => e.text),
        [line, line],
      );
    } finally {
      reader.close();
    }
    await store.close();
    assert.deepEqual(errors, []);
    assert.ok(!existsSync(`${file}-wal`), "closed cleanly: the WAL is gone");
  });

  test("entries just written are visible to queries at once, and survive a reopen", async () => {
    const { store, file } = open();
    store.write({ processId: "a", severity: "log", category: "stdout", text: "x", timeStamp: T0 });
    assert.equal((await store.query({})).length, 1);
    store.write({ processId: "a", severity: "log", category: "stdout", text: "y", timeStamp: T0 + 1 });
    await store.close();
    assert.ok(!existsSync(`${file}-wal`), "a clean close checkpoints the WAL");
    const again = open({ file }).store;
    assert.deepEqual(
      (await again.query({})).map((e) => e.text),
      ["x", "y"],
    );
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    db.close();
  });

  test("backpressure: write() says wait past the high-water mark, drained() when written", async () => {
    const { store } = open({ highWaterEntries: 100, batchSize: 30 });
    const results: boolean[] = [];
    for (let i = 0; i < 150; i++) {
      results.push(
        store.write({ processId: "a", severity: "log", category: "stdout", text: `${i}`, timeStamp: T0 + i }),
      );
    }
    assert.deepEqual(results.slice(0, 99), Array(99).fill(true));
    assert.equal(results[99], false);
    assert.equal(results[149], false);
    await store.drained();
    assert.equal(
      store.write({ processId: "a", severity: "log", category: "x", text: "z", timeStamp: T0 + 1000 }),
      true,
    );
    const texts = (await store.query({ limit: 1000 })).map((e) => e.text);
    assert.equal(texts.length, 151);
    assert.deepEqual(
      texts.slice(0, 150),
      Array.from({ length: 150 }, (_, i) => `${i}`),
    );
  });

  test("a line over 64 KiB is stored cut, with a marker; shorter ones whole", async () => {
    const { store } = open();
    const long = "é".repeat(40_000) + "x".repeat(10); // 80 010 bytes
    const exact = "a".repeat(MAX_STORED_TEXT_BYTES);
    store.write({ processId: "a", severity: "log", category: "stdout", text: long, timeStamp: T0 });
    store.write({ processId: "a", severity: "log", category: "stdout", text: exact, timeStamp: T0 + 1 });
    const [cut, whole] = await store.query({});
    assert.equal(whole.text, exact);
    assert.match(cut.text, /\[… truncated: the line had 80010 bytes\]$/);
    const kept = cut.text.slice(0, cut.text.indexOf(" [… truncated"));
    assert.equal(kept, "é".repeat(MAX_STORED_TEXT_BYTES / 2), "cut at a character boundary");
    assert.equal(storedText("short"), "short");
  });

  test("retention purges entries older than internalLogHours, in bounded steps", async () => {
    const now = T0;
    const { store, file } = open({ retentionHours: 1, purgeStep: 100 });
    const hour = 3_600_000;
    for (let i = 0; i < 1000; i++) {
      store.write({
        processId: "a",
        severity: "log",
        category: "x",
        text: `old ${i}`,
        timeStamp: now - 2 * hour + i,
      });
    }
    for (let i = 0; i < 10; i++) {
      store.write({
        processId: "a",
        severity: "log",
        category: "x",
        text: `new ${i}`,
        timeStamp: now - hour / 2 + i,
      });
    }
    await store.close();
    // Opening purges what is older than the retention at that time.
    const reopened = open({ file, retentionHours: 1, purgeStep: 100, now: () => now });
    const deleted = await new Promise<number>((resolve) => {
      // The purge started by open() runs in steps; wait for it, then a second finds nothing.
      const check = async () => {
        const left = (await reopened.store.query({ limit: 10_000 })).length;
        if (left === 10) resolve(await reopened.store.purge());
        else setTimeout(check, 5);
      };
      void check();
    });
    assert.equal(deleted, 0);
    const texts = (await reopened.store.query({ limit: 10_000 })).map((e) => e.text);
    assert.deepEqual(
      texts,
      Array.from({ length: 10 }, (_, i) => `new ${i}`),
    );
    // An explicit purge later in time removes the rest.
    const later = open({ file: path.join(root, "later", "logs.db"), retentionHours: 1, purgeStep: 3 });
    for (let i = 0; i < 10; i++) {
      later.store.write({
        processId: "a",
        severity: "log",
        category: "x",
        text: `${i}`,
        timeStamp: Date.now() - 2 * hour,
      });
    }
    later.store.write({
      processId: "a",
      severity: "log",
      category: "x",
      text: "fresh",
      timeStamp: Date.now(),
    });
    await later.store.flush();
    assert.equal(await later.store.purge(), 10);
    assert.deepEqual(
      (await later.store.query({})).map((e) => e.text),
      ["fresh"],
    );
  });

  test("a corrupt file is moved aside and a fresh store started; the problem is reported once", async () => {
    const dir = path.join(root, "corrupt");
    mkdirSync(dir);
    const file = path.join(dir, "logs.db");
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const { store, errors } = open({ file });
    store.write({ processId: "a", severity: "log", category: "x", text: "after", timeStamp: T0 });
    assert.deepEqual(
      (await store.query({})).map((e) => e.text),
      ["after"],
    );
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /corrupt .*moved it to .*logs\.db\.corrupt-/);
    const aside = readdirSync(dir).filter((f) => f.startsWith("logs.db.corrupt-"));
    assert.equal(aside.length, 1);
  });

  test("a store that cannot be created throws at open (the service then keeps entries in memory)", () => {
    const file = path.join(root, "dir-in-the-way", "logs.db");
    mkdirSync(file, { recursive: true });
    assert.throws(() => open({ file }), /SQLITE_CANTOPEN|unable to open|directory/i);
  });

  test("the read-only reader refuses a missing store with a clear error and never creates it", () => {
    const file = path.join(root, "missing", "logs.db");
    assert.throws(() => new LogStoreReader(file), NoLogStoreError);
    assert.ok(!existsSync(file));
    const garbage = path.join(root, "garbage.db");
    writeFileSync(garbage, "not a database at all, not even close".repeat(200));
    assert.throws(() => new LogStoreReader(garbage), /cannot read the log store .*garbage\.db/);
  });
});
