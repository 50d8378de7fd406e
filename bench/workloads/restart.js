import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { forgetGroup, spawnGroup } from "../lib/cleanup.js";
import { waitFor } from "../lib/procfs.js";
import { gaps, median } from "../lib/stats.js";
import { nodeRespawnScript } from "./node-floor.js";

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
          timeoutMs: 20_000,
          intervalMs: 50,
          what: "restarts",
        });
      } catch {
        ctx.log(`  restart ${name}: fewer than ${wanted} restarts in 20 s`);
      }
      const times = starts().slice(0, wanted + 1);
      const gapsMs = gaps(times).map((ns) => Number(ns) / 1e6);
      const gapMs = median(gapsMs);
      ctx.log(`  restart ${name}: median gap ${gapMs?.toFixed(2)} ms over ${gapsMs.length} restarts`);
      return { gapMs, restarts: gapsMs.length, gapsMs };
    });
  }
  results.nodeFloor = await nodeRespawnFloor(ctx, wanted + 1);
  return results;
}

/** The same child respawned on exit by a bare node script: what node itself costs per restart. */
async function nodeRespawnFloor(ctx, count) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pup-bench-floor-"));
  try {
    const file = path.join(dir, "starts");
    const child = spawnGroup(process.execPath, [
      "-e",
      nodeRespawnScript(`date +%s%N >> ${file}; exit 1`, count),
    ]);
    await new Promise((resolve) => child.once("exit", resolve));
    forgetGroup(child.pid);
    const gapsMs = gaps(readFileSync(file, "utf8").trim().split("\n").map(BigInt)).map(
      (ns) => Number(ns) / 1e6,
    );
    const gapMs = median(gapsMs);
    ctx.log(`  restart bare node: median gap ${gapMs?.toFixed(2)} ms over ${gapsMs.length} restarts`);
    return { gapMs, restarts: gapsMs.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
