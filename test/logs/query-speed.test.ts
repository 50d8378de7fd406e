import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import type { LogEntry, Severity } from "../../src/logs/entry.ts";
import { LogStore } from "../../src/logs/log-store.ts";
import { type LogQuery, matches } from "../../src/logs/query.ts";
import { LogStoreReader } from "../../src/logs/store-reader.ts";
import { tempDir } from "../helpers/tmp.ts";

const { dir, cleanup } = tempDir("pup-query-speed-");
after(cleanup);

const COUNT = 1_000_000;
const PROCESSES = 20;
const HOUR = 3_600_000;

/** Entry i of a 48-hour history: 20 processes, 1 % errors, 4 % warnings, 5 % info. */
function entry(i: number, t0: number): LogEntry {
  const r = ((i * 1_103_515_245 + 12_345) >>> 8) % 100;
  const severity: Severity = r === 0 ? "error" : r < 5 ? "warn" : r < 10 ? "info" : "log";
  return {
    processId: `proc-${(i * 7) % PROCESSES}`,
    severity,
    category: severity === "error" ? "stderr" : "stdout",
    text: `request ${i} handled in ${i % 997} ms ${"payload ".repeat(4)}`,
    timeStamp: t0 + Math.floor((i * 48 * HOUR) / COUNT),
  };
}

/** What a query must return, by walking the generated history backwards. */
function newestMatching(q: LogQuery, t0: number): LogEntry[] {
  const found: LogEntry[] = [];
  for (let i = COUNT - 1; i >= 0 && found.length < (q.limit ?? 100); i--) {
    const e = entry(i, t0);
    if (matches(e, q)) found.push(e);
  }
  return found.reverse();
}

test("filtered queries over 1 000 000 stored entries answer in milliseconds", async (t) => {
  const file = path.join(dir, "logs.db");
  // No size limit: the 1 000 000 entries take ~150 MiB.
  const store = LogStore.open({ file, retentionHours: 0, maxBytes: 0, onError: (m) => assert.fail(m) });
  const t0 = Date.UTC(2026, 0, 1);
  const loadStart = performance.now();
  for (let i = 0; i < COUNT; i++) {
    if (!store.write(entry(i, t0))) await store.drained();
  }
  await store.close();
  const loadSeconds = (performance.now() - loadStart) / 1000;

  const reader = new LogStoreReader(file);
  const queries: Array<[string, LogQuery]> = [
    ["newest 100", {}],
    ["one process, newest 100", { processId: "proc-3" }],
    ["errors, newest 100", { severity: "error" }],
    ["one process's errors, newest 100", { processId: "proc-3", severity: "error" }],
    [
      "one process, one hour, 1000",
      { processId: "proc-5", start: t0 + 10 * HOUR, end: t0 + 11 * HOUR, limit: 1000 },
    ],
    ["errors in one hour", { severity: "error", start: t0 + 30 * HOUR, end: t0 + 31 * HOUR, limit: 10_000 }],
    ["oldest hour, newest 100", { end: t0 + HOUR }],
    ["unknown process", { processId: "nobody" }],
  ];
  const timings: string[] = [];
  let slowest = 0;
  try {
    for (const [name, q] of queries) {
      reader.query(q); // warm the prepared statement and the page cache
      const started = performance.now();
      const rows = reader.query(q);
      const ms = performance.now() - started;
      slowest = Math.max(slowest, ms);
      timings.push(`${name}: ${ms.toFixed(2)} ms (${rows.length} rows)`);
      assert.deepEqual(
        rows.map((e) => e.text),
        newestMatching(q, t0).map((e) => e.text),
        name,
      );
    }
    // A cold query, as `pup logs` makes it: open, query, close.
    const cold = performance.now();
    const once = new LogStoreReader(file);
    once.query({ processId: "proc-11", severity: "warn", start: t0 + 20 * HOUR, end: t0 + 40 * HOUR });
    once.close();
    timings.push(`cold open + filtered query + close: ${(performance.now() - cold).toFixed(2)} ms`);
  } finally {
    reader.close();
  }
  const report = [
    `loaded ${COUNT} entries in ${loadSeconds.toFixed(1)} s (${Math.round(COUNT / loadSeconds)} entries/s)`,
    ...timings,
  ];
  for (const line of report) t.diagnostic(line);
  process.stdout.write(report.map((l) => `# query-speed: ${l}\n`).join(""));
  assert.ok(slowest < 100, `slowest query ${slowest.toFixed(1)} ms`);
});
