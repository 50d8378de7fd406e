import assert from "node:assert/strict";
import { test } from "node:test";
import type { LogEntry, LogLines } from "../../src/logs/entry.ts";
import { MemoryLog } from "../../src/logs/memory-log.ts";

const T0 = Date.UTC(2026, 0, 1);

function lines(processId: string, texts: string[], timeStamp: number): LogLines {
  return {
    processId,
    severity: "log",
    category: "stdout",
    timeStamp,
    bytes: Buffer.from(texts.map((t) => `${t}\n`).join("")),
    count: texts.length,
  };
}

test("the memory log keeps the newest `capacity` entries, whether they came one by one or together", () => {
  const log = new MemoryLog(25);
  const all: LogEntry[] = [];
  for (let i = 0; i < 40; i++) {
    const timeStamp = T0 + i;
    if (i % 3 === 0) {
      const entry: LogEntry = { processId: "a", severity: "info", category: "x", text: `e${i}`, timeStamp };
      log.write(entry);
      all.push(entry);
    } else {
      const texts = Array.from({ length: i % 7 }, (_, k) => `l${i}.${k}`);
      log.writeLines(lines(i % 2 ? "a" : "b", texts, timeStamp));
      for (const text of texts) {
        all.push({ processId: i % 2 ? "a" : "b", severity: "log", category: "stdout", text, timeStamp });
      }
    }
  }
  const kept = all.slice(-25);
  assert.deepEqual(log.query({ limit: 1000 }), kept);
  assert.deepEqual(log.query({}), kept);
  assert.deepEqual(log.query({ limit: 3 }), kept.slice(-3));
  assert.deepEqual(
    log.query({ processId: "b", limit: 1000 }),
    kept.filter((e) => e.processId === "b"),
  );
  assert.deepEqual(
    log.query({ start: T0 + 35, severity: "log" }),
    kept.filter((e) => e.timeStamp >= T0 + 35 && e.severity === "log"),
  );
});

test("the memory log holds at most maxBytes of text beyond the newest item", () => {
  const log = new MemoryLog(10_000, 1000);
  for (let i = 0; i < 100; i++) log.writeLines(lines("a", [`${i}`.padEnd(99, "x")], T0 + i));
  const kept = log.query({ limit: 10_000 });
  assert.equal(kept.length, 10, "10 lines of 100 bytes");
  assert.equal(kept[9].text, "99".padEnd(99, "x"));
  log.writeLines(lines("a", ["y".repeat(5000)], T0 + 200));
  assert.deepEqual(
    log.query({ limit: 10_000 }).map((e) => e.text.length),
    [5000],
    "a bigger item is kept alone",
  );
});
