import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { sleep } from "../lib/procfs.js";
import { median } from "../lib/stats.js";

/** 99 characters + newline: the ~100-byte line of the workload, nothing a shell would interpret. */
export const LINE = "pup-bench-log-line-".padEnd(99, "0123456789abcdefghijklmnopqrstuvwxyz");

/**
 * Sorts the lines of `file`: intact copies of LINE, damaged ones (a piece of LINE, split, joined
 * or altered) and others (the manager's own messages, `yes: Broken pipe` on stderr…).
 */
export async function countLines(file) {
  const counts = { good: 0, damaged: 0, other: 0 };
  const tally = (line) => {
    if (line === LINE) counts.good++;
    else if (/^[0-9a-z-]+$/.test(line)) counts.damaged++;
    else counts.other++;
  };
  let rest = "";
  for await (const chunk of createReadStream(file, { encoding: "latin1", highWaterMark: 1 << 20 })) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop();
    for (const p of parts) tally(p);
  }
  if (rest !== "") tally(rest);
  return counts;
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
 * byte; lost = intact lines missing from the file, damaged = lines that arrived split or joined.
 * For pup, the log store (when there is one) is measured the same way.
 */
export async function logs(ctx, { storeCount } = {}) {
  const total = ctx.quick ? 200_000 : 2_000_000;
  const rounds = ctx.quick ? 1 : 2;
  const samples = Object.fromEntries(ctx.managers.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of ctx.managers) {
      samples[name].push(await logRound(ctx, name, total, name === "pup" ? storeCount : undefined));
    }
  }
  const results = {};
  for (const name of ctx.managers) {
    const s = samples[name];
    const stores = s.map((x) => x.store).filter(Boolean);
    results[name] = {
      lines: total,
      ms: median(s.map((x) => x.ms)),
      linesPerSec: median(s.map((x) => x.linesPerSec)),
      lost: Math.max(...s.map((x) => x.lost)),
      damaged: Math.max(...s.map((x) => x.damaged)),
      store:
        stores.length > 0
          ? {
              ms: median(stores.map((x) => x.ms)),
              linesPerSec: median(stores.map((x) => x.linesPerSec)),
              lost: Math.max(...stores.map((x) => x.lost)),
              damaged: Math.max(...stores.map((x) => x.damaged)),
            }
          : undefined,
      samples: s,
    };
  }
  return results;
}

/**
 * The file is not rotated, as supervisord's (`stdout_logfile_maxbytes=0`): 2 M lines are 200 MB,
 * past pup's default rotation size, and the round reads one file.
 */
const NO_ROTATION = { pup: { extraConfig: { logger: { maxFileSizeMb: 0 } } } };

async function logRound(ctx, name, total, storeCount) {
  return ctx.withManager(
    name,
    async (m, dir) => {
      const logFile = path.join(dir, "child.log");
      const startFile = path.join(dir, "started");
      // yes's "Broken pipe" on stderr would land inside a line where a manager merges stderr into
      // the same pipe (supervisord's redirect_stderr): silenced, so every manager gets only the lines.
      const cmd = `date +%s%N > ${startFile}; yes ${LINE} 2>/dev/null | head -n ${total}`;
      await m.start([{ id: "logger", cmd, restart: false, logFile }]);
      // The store is watched while the file fills, not after the file was read back.
      const stored = storeCount?.(m, "logger", total, LINE);
      const doneAt = await waitForSize(logFile, total * (LINE.length + 1));
      const startedAt = Number(BigInt(readFileSync(startFile, "utf8").trim()) / 1000n) / 1000;
      const ms = doneAt - startedAt;
      const { good, damaged, other } = await countLines(logFile);
      const result = { ms, linesPerSec: (total / ms) * 1000, lost: total - good, damaged, other };
      const s = await stored;
      if (s) {
        const storeMs = s.doneAt - startedAt;
        result.store = {
          ms: storeMs,
          linesPerSec: (total / storeMs) * 1000,
          lost: s.lost,
          damaged: s.damaged,
        };
      }
      const store = result.store
        ? `; store ${(result.store.linesPerSec / 1000).toFixed(0)} k lines/s, lost ${result.store.lost}, damaged ${result.store.damaged}`
        : "";
      ctx.log(
        `  logs ${name}: ${ms.toFixed(0)} ms, ${(result.linesPerSec / 1000).toFixed(0)} k lines/s, lost ${result.lost}, damaged ${damaged}, other ${other}${store}`,
      );
      return result;
    },
    NO_ROTATION[name],
  );
}
