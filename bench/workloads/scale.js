import { children } from "../lib/context.js";
import { sleep } from "../lib/procfs.js";
import { nodeLaunchFloor } from "./node-floor.js";

/** Scale, pup only: 1 000 `sleep` children: time until all run, RSS, idle CPU. */
export async function scale(ctx) {
  const n = ctx.quick ? 300 : 1000;
  const windowMs = ctx.quick ? 5000 : 10_000;
  if (!ctx.managers.includes("pup")) return {};
  const result = await ctx.withManager("pup", async (m) => {
    await m.start(children(n, "sleep 100000"));
    const startMs = await m.waitAllRunning(n, "sleep", 120_000);
    await sleep(2000);
    const rss = m.rss();
    const cpu = await m.cpu(windowMs);
    ctx.log(
      `  scale ${n}: all running ${startMs.toFixed(0)} ms, rss ${(rss / 2 ** 20).toFixed(1)} MiB, cpu ${cpu.toFixed(2)} %`,
    );
    return { children: n, startMs, rss, cpu, cpuWindowMs: windowMs };
  });
  // The same number of spawns from a bare node script: what child_process.spawn alone costs here.
  result.nodeFloorMs = await nodeLaunchFloor(n);
  ctx.log(`  scale ${n} bare node: all running ${result.nodeFloorMs.toFixed(0)} ms`);
  return result;
}
