import { children } from "../lib/context.js";
import { sleep } from "../lib/procfs.js";
import { median } from "../lib/stats.js";
import { nodeLaunchFloor } from "./node-floor.js";

/**
 * Idle footprint: n `sleep 100000` children. Launch → all running (ms), then after a short settle
 * the manager's RSS and its CPU % over a window, all from /proc.
 */
export async function idle(ctx, { counts = [10, 100] } = {}) {
  const windowMs = ctx.quick ? 5000 : 10_000;
  const results = {};
  for (const n of counts) {
    for (const name of ctx.managers) {
      results[`${name}.${n}`] = await ctx.withManager(name, async (m) => {
        await m.start(children(n, "sleep 100000"));
        const startMs = await m.waitAllRunning(n, "sleep");
        await sleep(2000);
        const rss = m.rss();
        const cpu = await m.cpu(windowMs);
        ctx.log(
          `  idle ${n} ${name}: all running ${startMs.toFixed(0)} ms, rss ${(rss / 2 ** 20).toFixed(1)} MiB, cpu ${cpu.toFixed(2)} %`,
        );
        return { startMs, rss, cpu, cpuWindowMs: windowMs };
      });
    }
  }
  for (const n of counts) {
    const samples = [];
    for (let r = 0; r < (ctx.quick ? 1 : 3); r++) samples.push(await nodeLaunchFloor(n));
    results[`node.${n}`] = { startMs: median(samples), samples };
    ctx.log(`  idle ${n} bare node: all running ${results[`node.${n}`].startMs.toFixed(0)} ms`);
  }
  return results;
}
