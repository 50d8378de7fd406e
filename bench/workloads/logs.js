import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { sleep } from "../lib/procfs.js";

/** 99 characters + newline: the ~100-byte line of the workload, nothing a shell would interpret. */
export const LINE = "pup-bench-log-line-".padEnd(99, "0123456789abcdefghijklmnopqrstuvwxyz");

/** Counts lines in `file` and those that differ from LINE (split, joined or decorated). */
export async function countLines(file) {
  let lines = 0;
  let bad = 0;
  let rest = "";
  for await (const chunk of createReadStream(file, { encoding: "latin1", highWaterMark: 1 << 20 })) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop();
    lines += parts.length;
    for (const p of parts) if (p !== LINE) bad++;
  }
  if (rest !== "") {
    lines++;
    if (rest !== LINE) bad++;
  }
  return { lines, bad };
}

/**
 * Waits until `file` holds `bytes` bytes, or stops growing for `stallMs`. Returns the wall-clock
 * time (ms since the epoch) at which it got there or last grew.
 */
export async function waitForSize(file, bytes, stallMs = 5000) {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const size = existsSync(file) ? statSync(file).size : 0;
    const now = performance.timeOrigin + performance.now();
    if (size >= bytes) return now;
    if (size !== last) {
      last = size;
      lastChange = now;
    } else if (now - lastChange > stallMs) return lastChange;
    await sleep(5);
  }
}

/**
 * Log capture: a child printing N lines of ~100 bytes as fast as `yes | head` can. Measured from
 * the child's own start (it writes `date +%s%N` first) until the manager's log file holds every
 * byte; lost = lines missing from the file, bad = lines that arrived split, joined or altered.
 * For pup, the log store (when there is one) is measured the same way.
 */
export async function logs(ctx, { storeCount } = {}) {
  const total = ctx.quick ? 200_000 : 2_000_000;
  const results = {};
  for (const name of ctx.managers) {
    results[name] = await ctx.withManager(name, async (m, dir) => {
      const logFile = path.join(dir, "child.log");
      const startFile = path.join(dir, "started");
      const cmd = `date +%s%N > ${startFile}; yes ${LINE} | head -n ${total}`;
      await m.start([{ id: "logger", cmd, restart: false, logFile }]);
      const doneAt = await waitForSize(logFile, total * (LINE.length + 1));
      const startedAt = Number(BigInt(readFileSync(startFile, "utf8").trim()) / 1000n) / 1000;
      const ms = doneAt - startedAt;
      const { lines, bad } = await countLines(logFile);
      const result = { lines: total, ms, linesPerSec: (total / ms) * 1000, lost: total - lines, bad };
      if (name === "pup" && storeCount) {
        result.store = await storeCount(m, "logger", total, startedAt);
      }
      ctx.log(
        `  logs ${name}: ${ms.toFixed(0)} ms, ${(result.linesPerSec / 1000).toFixed(0)} k lines/s, lost ${result.lost}, bad ${bad}`,
      );
      return result;
    });
  }
  return results;
}
