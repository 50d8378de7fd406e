import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import type { LogEntry } from "../../src/logs/entry.ts";
import { LogStore } from "../../src/logs/log-store.ts";
import { LogStoreReader } from "../../src/logs/store-reader.ts";
import { tempDir } from "../helpers/tmp.ts";
import { fillDisk, freeDisk, mountTmpfs } from "../helpers/tmpfs.ts";
import { sleep, waitFor } from "../helpers/wait.ts";

/* The log store's files stay bounded, and its failures are reported, retried and recovered from. */

const { dir: root, cleanup } = tempDir("pup-store-bounds-");
const stores: LogStore[] = [];
const cleanups: Array<() => void> = [];
after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  for (const c of cleanups) c();
  cleanup();
});

let n = 0;
function open(options: Partial<Parameters<typeof LogStore.open>[0]> = {}) {
  const reports: Array<{ message: string; severity: string }> = [];
  const file = options.file ?? path.join(root, `s${++n}`, "logs.db");
  const store = LogStore.open({
    file,
    retentionHours: 0,
    onError: (message, severity = "error") => reports.push({ message, severity }),
    ...options,
  });
  stores.push(store);
  return { store, file, reports, errors: () => reports.filter((r) => r.severity === "error") };
}

const entry = (text: string, processId = "web"): LogEntry => ({
  processId,
  severity: "log",
  category: "stdout",
  text,
  timeStamp: Date.now(),
});

const size = (file: string) => (existsSync(file) ? statSync(file).size : 0);
const MiB = 1024 * 1024;

/** Bytes this process has handed to write(2) and friends so far. */
function bytesWritten(): number | undefined {
  try {
    return Number(/wchar:\s*(\d+)/.exec(readFileSync("/proc/self/io", "utf8"))?.[1]);
  } catch {
    return undefined;
  }
}

describe("log store: bounded files", () => {
  test("a trickle of lines is written a few commits a second, not a page rewrite per line", async (t) => {
    const { store } = open();
    store.write(entry("first"));
    await store.flush();
    const before = bytesWritten();
    if (before === undefined) return t.skip("no /proc/self/io to count the bytes written");
    // 50 lines, 20 ms apart: each commit rewrites at least five 16 KiB pages (80 KiB).
    for (let i = 0; i < 50; i++) {
      store.write(entry(`line ${i}`));
      await sleep(20);
    }
    await sleep(600);
    const written = bytesWritten()! - before;
    t.diagnostic(`${written} bytes written for 50 lines`);
    assert.ok(written < 1.5 * MiB, `${written} bytes written for 50 lines (a commit per line: ~4 MB)`);
    assert.equal((await store.query({ limit: 100 })).length, 51);
  });

  test("small commits, a reader polling meanwhile: the WAL is checkpointed and stays within a few MiB", async () => {
    const { store, file, errors } = open();
    const reader = new LogStoreReader(file);
    let maxWal = 0;
    try {
      // ~50 commits a second (a real trickle makes two): time enough for the checkpoints' fsyncs
      // on a busy machine, and 25 times the WAL of a trickle.
      for (let i = 0; i < 300; i++) {
        store.write(entry(`line ${i}`));
        await store.flush();
        reader.query({ limit: 10 });
        maxWal = Math.max(maxWal, size(`${file}-wal`));
        await sleep(20);
      }
      assert.equal(reader.lastId(), 300);
    } finally {
      reader.close();
    }
    // Without checkpoints 300 commits make a WAL of ~24 MB.
    assert.ok(maxWal <= 12 * MiB, `the WAL grew to ${(maxWal / MiB).toFixed(1)} MiB`);
    assert.ok(size(file) < 4 * MiB, `the database holds the lines in ${size(file)} bytes`);
    assert.deepEqual(errors(), []);
  });

  test("a reader holding an old snapshot stalls checkpoints only while it holds it", async () => {
    const { store, file, errors } = open();
    store.write(entry("start"));
    await store.flush();
    const holder = new Database(file, { readonly: true });
    holder.prepare("BEGIN").run();
    holder.prepare("SELECT count(*) FROM chunks").get();
    for (let i = 0; i < 200; i++) {
      store.write(entry(`held ${i}`));
      await store.flush();
      await sleep(1);
    }
    const walWhileHeld = size(`${file}-wal`);
    holder.prepare("COMMIT").run();
    holder.close();
    for (let i = 0; i < 400; i++) {
      store.write(entry(`free ${i}`));
      await store.flush();
      await sleep(1);
    }
    // Checkpoints copy out what the reader held; the WAL starts over and SQLite cuts it back.
    await waitFor(
      () => size(`${file}-wal`) <= 6 * MiB,
      `the WAL (${size(`${file}-wal`)} bytes) to shrink`,
      20_000,
    );
    assert.ok(walWhileHeld > 8 * MiB, `the reader held the WAL at ${walWhileHeld} bytes`);
    assert.deepEqual(errors(), []);
  });

  test("a burst's WAL is copied out and the file emptied once the store falls idle", async () => {
    const { store, file, errors } = open();
    const bytes = Buffer.from(`${"x".repeat(99)}\n`.repeat(650));
    for (let i = 0; i < 300; i++) {
      const ok = store.writeLines({
        processId: "a",
        severity: "log",
        category: "stdout",
        timeStamp: Date.now(),
        bytes,
        count: 650,
      });
      if (!ok) await store.drained();
    }
    await store.flush();
    assert.ok(size(`${file}-wal`) > 16 * MiB, `the burst is in the WAL (${size(`${file}-wal`)} bytes)`);
    await waitFor(
      () => size(`${file}-wal`) === 0,
      `the WAL (${size(`${file}-wal`)} bytes) to be emptied`,
      15_000,
    );
    const reader = new LogStoreReader(file);
    try {
      assert.equal(reader.lastId(), 300 * 650, "everything is in the database file");
    } finally {
      reader.close();
    }
    assert.deepEqual(errors(), []);
  });

  test("the store's data is kept under its size limit, the newest entries kept", async () => {
    const { store, file, reports } = open({ maxBytes: 2 * MiB, batchBytes: 512 * 1024 });
    const text = (i: number) => `${i} ${"z".repeat(2000)}`;
    for (let i = 0; i < 6000; i++) {
      if (!store.write(entry(text(i)))) await store.drained();
      if (i % 500 === 0) await sleep(5);
    }
    await store.flush();
    await waitFor(
      async () => {
        const db = new Database(file, { readonly: true });
        const live =
          ((db.pragma("page_count", { simple: true }) as number) -
            (db.pragma("freelist_count", { simple: true }) as number)) *
          16384;
        db.close();
        return live <= 2.2 * MiB;
      },
      "the store to be trimmed",
      10_000,
    );
    const newest = await store.query({ limit: 1 });
    assert.equal(newest[0].text, text(5999));
    const oldest = await store.query({ limit: 100_000 });
    assert.ok(oldest.length < 1100 && oldest.length > 500, `${oldest.length} entries kept`);
    // The limit, plus what was committed while the oldest were being removed.
    assert.ok(size(file) < 4 * MiB, `the file is ${size(file)} bytes for 12 MB written`);
    const limitReports = reports.filter((r) => /size limit/.test(r.message));
    assert.equal(limitReports.length, 1, "said once");
  });

  test("the store, its WAL and shared memory are readable by the instance's user only", async () => {
    const { store, file } = open();
    store.write(entry("secret"));
    await store.flush();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      assert.equal((statSync(f).mode & 0o777).toString(8), "600", f);
    }
    await store.close();
    chmodSync(file, 0o644);
    const again = open({ file }).store;
    again.write(entry("again"));
    await again.flush();
    assert.equal((statSync(file).mode & 0o777).toString(8), "600", "an older store is made private");
  });

  test("GET /logs answers at most 16 MiB of text: the newest entries that fit", async () => {
    const { store } = open();
    const line = (i: number) => `${String(i).padStart(5, "0")}${"L".repeat(64 * 1024 - 5)}`;
    for (let i = 0; i < 300; i++) store.write(entry(line(i)));
    const answer = await store.query({ limit: 10_000 });
    const bytes = answer.reduce((sum, e) => sum + Buffer.byteLength(e.text), 0);
    assert.ok(bytes <= 16 * MiB, `${bytes} bytes answered`);
    assert.equal(answer.length, 256);
    assert.equal(answer[answer.length - 1].text, line(299), "the newest is there");
    assert.equal(answer[0].text, line(44), "in order, oldest first");
    assert.equal((await store.query({ limit: 10, maxBytes: 100 })).length, 1, "at least the newest");
  });
});

describe("log store: failures", () => {
  test("a full disk: reported once, producers never wait, the newest kept and the rest counted; recovers when space returns", async (t) => {
    const mnt = path.join(root, "full");
    const fs = mountTmpfs(mnt, "2m");
    if (!fs.mounted) return t.skip(fs.reason);
    cleanups.push(fs.unmount);
    const { store, file, errors, reports } = open({ file: path.join(mnt, "logs.db"), highWaterEntries: 50 });
    for (let i = 0; i < 5; i++) store.write(entry(`before ${i}`));
    await store.flush();
    const filler = fillDisk(mnt);
    let written = 0;
    const during = (i: number) => entry(`during ${i} ${"y".repeat(200)}`);
    // Until the first commit fails, the store is only slow: producers may be asked to wait.
    while (errors().length === 0 && written < 5000) {
      store.write(during(written++));
      await sleep(3);
    }
    const answers: boolean[] = [];
    for (let i = 0; i < 200; i++) answers.push(store.write(during(written++)));
    assert.ok(
      answers.every((a) => a),
      "write() never asks a producer to wait on a failing store",
    );
    assert.equal(errors().length, 1, JSON.stringify(reports));
    assert.match(errors()[0].message, /cannot write to the log store .*SQLITE_FULL/);
    const [failing] = store.health();
    assert.equal(failing.ok, false);
    assert.match(failing.error ?? "", /SQLITE_FULL/);
    assert.equal(failing.dropped, written - 50, "all but the newest 50 are given up, and counted");

    freeDisk(filler);
    await waitFor(() => store.health()[0].ok, "the store to recover", 15_000);
    const recovery = new RegExp(`written again.*${written - 50} entries could not be kept`);
    assert.ok(
      reports.some((r) => r.severity === "info" && recovery.test(r.message)),
      `the recovery is reported: ${JSON.stringify(reports)}`,
    );
    store.write(entry("after"));
    const texts = (await store.query({ limit: 1000 })).map((e) => e.text);
    assert.deepEqual(texts.slice(0, 5), ["before 0", "before 1", "before 2", "before 3", "before 4"]);
    assert.equal(
      texts[5].split(" ")[1],
      String(written - 50),
      "the newest 50 of those written meanwhile follow",
    );
    assert.equal(texts.length, 5 + 50 + 1);
    assert.equal(texts[texts.length - 1], "after");
    assert.ok(statSync(file).size > 0, "the store file is there");
  });

  test("a store removed while the instance runs is noticed before the next commit and started anew", async () => {
    const { store, file, reports } = open();
    store.write(entry("into the old one"));
    await store.flush();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    store.write(entry("into the new one"));
    await store.flush();
    assert.ok(existsSync(file), "a new store file");
    const reader = new LogStoreReader(file);
    try {
      assert.deepEqual(
        reader.query({}).map((e) => e.text),
        ["into the new one"],
      );
    } finally {
      reader.close();
    }
    assert.equal(reports.filter((r) => /removed or replaced/.test(r.message)).length, 1);
    assert.equal((statSync(file).mode & 0o777).toString(8), "600");
  });
});
