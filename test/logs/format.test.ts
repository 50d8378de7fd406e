import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { ConsoleSink } from "../../src/logs/console-sink.ts";
import type { LogEntry } from "../../src/logs/entry.ts";
import { colorsAllowed, decorate, formatLine } from "../../src/logs/format.ts";

const entry = (e: Partial<LogEntry> = {}): LogEntry => ({
  severity: "log",
  category: "stdout",
  text: "hello",
  processId: "web",
  timeStamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  ...e,
});

test("decorated lines: <ISO time> [<SEVERITY>] [<processId>:<category>] <text>", () => {
  assert.equal(decorate(entry()), "2026-01-02T03:04:05.678Z [LOG] [web:stdout] hello");
  assert.equal(
    formatLine(entry({ severity: "error", category: "stderr" }), { decorate: false, colors: false }),
    "hello",
  );
});

test("colours: core grey, starting green, finished yellow, errors red; only on a TTY without NO_COLOR", () => {
  const plain = { decorate: false, colors: true };
  assert.equal(formatLine(entry({ processId: "core", category: "init" }), plain), "\x1b[90mhello\x1b[0m");
  assert.equal(formatLine(entry({ category: "starting" }), plain), "\x1b[32mhello\x1b[0m");
  assert.equal(formatLine(entry({ category: "finished" }), plain), "\x1b[33mhello\x1b[0m");
  assert.equal(formatLine(entry({ severity: "error" }), plain), "\x1b[31mhello\x1b[0m");
  assert.equal(formatLine(entry(), plain), "hello");
  assert.equal(colorsAllowed({ isTTY: true }, {}), true);
  assert.equal(colorsAllowed({ isTTY: false }, {}), false);
  assert.equal(colorsAllowed({ isTTY: true }, { NO_COLOR: "1" }), false);
});

test("the console sink writes errors to stderr, the rest to stdout, and respects per-process console: false", async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d) => (stdout += d));
  err.on("data", (d) => (stderr += d));
  const sink = new ConsoleSink({
    decorate: true,
    colors: false,
    enabledFor: (id) => id !== "quiet",
    out,
    err,
  });
  sink.write(entry({ text: "one" }));
  sink.write(entry({ text: "two", severity: "error", category: "stderr" }));
  sink.write(entry({ text: "hidden", processId: "quiet" }));
  await sink.flush();
  assert.equal(stdout, "2026-01-02T03:04:05.678Z [LOG] [web:stdout] one\n");
  assert.equal(stderr, "2026-01-02T03:04:05.678Z [ERROR] [web:stderr] two\n");
});
