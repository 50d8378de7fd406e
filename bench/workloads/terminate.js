import { children } from "../lib/context.js";
import { sleep } from "../lib/procfs.js";
import { median } from "../lib/stats.js";

/**
 * Terminate with 100 children: the manager's stop signal (SIGTERM to pup, to supervisord, to the
 * PM2 daemon) → all children gone; children still alive a second after the manager exited are
 * orphans. Repeated (while a manager's rounds take under 40 s: supervisord needs about 30 s for
 * one); each round also gives a sample of the time until all 100 run.
 */
export async function terminate(ctx) {
  const rounds = ctx.quick ? 1 : 3;
  const results = {};
  for (const name of ctx.managers) {
    const samples = [];
    const t0 = performance.now();
    for (let r = 0; r < rounds && performance.now() - t0 < 40_000; r++) {
      samples.push(
        await ctx.withManager(name, async (m) => {
          await m.start(children(100, "sleep 100000"));
          const startMs = await m.waitAllRunning(100, "sleep");
          await sleep(1000);
          return { startMs, ...(await m.terminate()) };
        }),
      );
    }
    const result = {
      childrenGoneMs: median(samples.map((s) => s.childrenGoneMs)),
      managerExitMs: median(samples.map((s) => s.managerExitMs)),
      orphans: Math.max(...samples.map((s) => s.orphans)),
      startMs: median(samples.map((s) => s.startMs)),
      samples,
    };
    ctx.log(
      `  terminate ${name}: children gone ${result.childrenGoneMs?.toFixed(0)} ms, exit ${result.managerExitMs?.toFixed(0)} ms, orphans ${result.orphans}`,
    );
    results[name] = result;
  }
  return results;
}
