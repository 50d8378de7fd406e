import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { waitFor } from "../lib/procfs.js";
import { gaps, median } from "../lib/stats.js";

/**
 * Crash-restart latency: a child that appends its start time (ns) to a file and exits 1, restarted
 * with no delay. The figure is the median gap between successive starts.
 */
export async function restart(ctx) {
  const wanted = ctx.quick ? 20 : 50;
  const results = {};
  for (const name of ctx.managers) {
    results[name] = await ctx.withManager(name, async (m, dir) => {
      const file = path.join(dir, "starts");
      const starts = () =>
        existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").map(BigInt) : [];
      await m.start([{ id: "crash", cmd: `date +%s%N >> ${file}; exit 1`, restart: true }]);
      try {
        await waitFor(() => starts().length > wanted, {
          timeoutMs: 30_000,
          intervalMs: 50,
          what: "restarts",
        });
      } catch {
        ctx.log(`  restart ${name}: fewer than ${wanted} restarts in 30 s`);
      }
      const times = starts().slice(0, wanted + 1);
      const gapsMs = gaps(times).map((ns) => Number(ns) / 1e6);
      const gapMs = median(gapsMs);
      ctx.log(`  restart ${name}: median gap ${gapMs?.toFixed(2)} ms over ${gapsMs.length} restarts`);
      return { gapMs, restarts: gapsMs.length, gapsMs };
    });
  }
  return results;
}
