import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { ConsoleSink } from "../../src/logs/console-sink.ts";
import type { LogEntry } from "../../src/logs/entry.ts";

const entry = (text: string, severity: LogEntry["severity"] = "log"): LogEntry => ({
  severity,
  category: "stdout",
  text,
  processId: "a",
  timeStamp: Date.now(),
});
const tick = () => new Promise((r) => setImmediate(r));

function epipe(): NodeJS.ErrnoException {
  return Object.assign(new Error("write EPIPE"), { code: "EPIPE", errno: -32, syscall: "write" });
}

/** A console whose reader went away: every write fails with EPIPE, as a pipe to a dead `head` does. */
class BrokenPipe extends Writable {
  attempts = 0;
  override _write(_chunk: unknown, _enc: string, callback: (err?: Error) => void): void {
    this.attempts++;
    callback(epipe());
  }
}

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

test("a console whose reader went away is not a fault: the sink goes quiet and says so once on the other stream", async () => {
  const out = new BrokenPipe();
  const err = new Collect();
  const sink = new ConsoleSink({ decorate: false, colors: false, enabledFor: () => true, out, err });
  // Without a handler the stream's 'error' event would throw here, out of the event loop.
  assert.equal(sink.write(entry("one")), true);
  await tick();
  await tick();
  assert.equal(out.attempts, 1);
  for (let i = 0; i < 100; i++) assert.equal(sink.write(entry(`more ${i}`)), true);
  assert.equal(sink.write(entry("an error line", "error")), true);
  await sink.flush();
  await tick();
  assert.equal(out.attempts, 1, "nothing more is written to a stream that is gone");
  assert.match(err.text, /^pup: console stdout closed \(EPIPE\): console output stops/m);
  assert.equal(err.text.match(/console stdout closed/g)?.length, 1, "said once");
  assert.match(err.text, /^an error line$/m, "the other stream goes on");
  await sink.drained();
  await sink.close();
});

test("a producer waiting for the console to drain is released when the console's reader goes away", async () => {
  // A reader that stopped reading: writes queue up past the high-water mark.
  let stuck: ((err?: Error) => void) | undefined;
  const out = new Writable({
    highWaterMark: 16,
    write(_chunk, _enc, callback) {
      stuck = callback;
    },
  });
  const sink = new ConsoleSink({
    decorate: false,
    colors: false,
    enabledFor: () => true,
    out,
    err: new Collect(),
  });
  const big = "x".repeat(64 * 1024);
  let accepted = true;
  for (let i = 0; i < 40 && accepted; i++) {
    sink.write(entry(big));
    await tick();
    accepted = sink.write(entry(big));
  }
  assert.equal(accepted, false, "the sink asks its producer to wait");
  let released = false;
  const waiting = sink.drained().then(() => {
    released = true;
  });
  await tick();
  assert.equal(released, false);
  // The reader goes away: the pending write fails.
  stuck?.(epipe());
  await waiting;
  assert.equal(sink.write(entry("after")), true, "no more waiting on a console that is gone");
  await sink.close();
});
