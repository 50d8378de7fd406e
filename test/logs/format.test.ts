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

test("no entry text can end its line, forge another, or reach the terminal: control characters are written out", () => {
  const forged = "ok\n2026-01-01T00:00:00.000Z [ERROR] [db:stderr] \x1b[31mfake\r\x1b]0;title\x07\x9b2J";
  const api = entry({ processId: "core", category: "api-p", text: forged });
  const line = formatLine(api, { decorate: true, colors: false });
  assert.equal(
    line,
    "2026-01-02T03:04:05.678Z [LOG] [core:api-p] ok\\n2026-01-01T00:00:00.000Z [ERROR] [db:stderr] " +
      "\\x1b[31mfake\\r\\x1b]0;title\\x07\\x9b2J",
  );
  assert.equal(formatLine(api, { decorate: false, colors: true }).split("\n").length, 1);
  assert.doesNotMatch(formatLine(api, { decorate: false, colors: false }), /[\x00-\x08\x0a-\x1f\x7f-\x9f]/);
  // The decoration's own fields too, and tabs stay tabs.
  assert.equal(
    decorate(entry({ processId: "core", category: "api-x\ny", text: "a\tb" })),
    "2026-01-02T03:04:05.678Z [LOG] [core:api-x\\ny] a\tb",
  );
});

test("a child's own output keeps its colours (with a reset after), and nothing else", () => {
  const colored = entry({ text: "\x1b[1;32mPASS\x1b[0m tests \x1b[33m3\x1b[m" });
  assert.equal(
    formatLine(colored, { decorate: true, colors: false }),
    "2026-01-02T03:04:05.678Z [LOG] [web:stdout] \x1b[1;32mPASS\x1b[0m tests \x1b[33m3\x1b[m\x1b[0m",
  );
  const tricky = entry({ category: "stderr", severity: "error", text: "50%\r\x1b[2K\x1b[1A100%\x1b[31m!" });
  assert.equal(
    formatLine(tricky, { decorate: false, colors: false }),
    "50%\\r\\x1b[2K\\x1b[1A100%\x1b[31m!\x1b[0m",
  );
  // A plain line is passed as it is.
  assert.equal(formatLine(entry({ text: "plain" }), { decorate: false, colors: false }), "plain");
  // The same text from the API is not a child's output: no sequence survives.
  const fromApi = entry({ processId: "core", category: "api-x", text: "\x1b[31mred" });
  assert.equal(formatLine(fromApi, { decorate: false, colors: false }), "\\x1b[31mred");
});
