import assert from "node:assert/strict";
import { test } from "node:test";
import { LiveLines, type StreamedEntry } from "../../src/cli/live-lines.ts";
import type { LogEntry } from "../../src/logs/entry.ts";
import { Logger } from "../../src/logs/logger.ts";

const entry = (processId: string, text: string, partial?: boolean): StreamedEntry => ({
  processId,
  severity: "log",
  category: "stdout",
  text,
  timeStamp: 0,
  ...(partial ? { partial } : {}),
});
const plain = (e: LogEntry) => `[${e.processId}] ${e.text}`;

test("pup monitor on a terminal: a redrawn line is rewritten in place, replaced by its final state, kept below other lines", () => {
  const live = new LiveLines(plain, () => 80);
  let screen = "";
  const show = (e: StreamedEntry) => {
    screen += live.render(e);
  };
  show(entry("dl", "10%", true));
  show(entry("dl", "50%", true));
  assert.equal(screen, "[dl] 10%\r\x1b[2K[dl] 50%", "the line is rewritten");
  show(entry("web", "GET /"));
  assert.equal(screen.slice(screen.lastIndexOf("\r")), "\r\x1b[2K[web] GET /\n[dl] 50%", "drawn again below");
  show(entry("dl", "done"));
  assert.ok(screen.endsWith("\r\x1b[2K[dl] done\n"), "the final state replaces it");
  assert.equal(live.finish(), "", "nothing left open");
  show(entry("dl", "x".repeat(200), true));
  assert.ok(screen.endsWith("…"), "a state wider than the terminal is cut to fit");
  assert.ok(screen.length - screen.lastIndexOf("[dl]") <= 80, "within 80 columns");
  assert.equal(live.finish(), "\n");
});

test("a redrawn line's states go to live subscribers only, marked partial; the sinks get the final line", async () => {
  const logger = new Logger();
  const written: LogEntry[] = [];
  logger.addSink({
    write: (e) => written.push(e) > 0,
    drained: async () => {},
    flush: async () => {},
    close: async () => {},
  });
  logger.update(entry("dl", "10%"));
  const seen: StreamedEntry[] = [];
  logger.on("log", (e) => seen.push(e));
  logger.update(entry("dl", "20%"));
  logger.write(entry("dl", "100%"));
  assert.deepEqual(seen, [entry("dl", "20%", true), entry("dl", "100%")]);
  assert.deepEqual(written, [entry("dl", "100%")]);
});
