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
  const samples = Object.fromEntries(ctx.managers.map((m) => [m, []]));
  const spent = Object.fromEntries(ctx.managers.map((m) => [m, 0]));
  // Round after round over the managers, so that a burst of load elsewhere hits them alike.
  for (let r = 0; r < rounds; r++) {
    for (const name of ctx.managers) {
      if (spent[name] > 40_000) continue;
      const t0 = performance.now();
      samples[name].push(
        await ctx.withManager(name, async (m) => {
          await m.start(children(100, "sleep 100000"));
          const startMs = await m.waitAllRunning(100, "sleep");
          await sleep(1000);
          return { startMs, ...(await m.terminate()) };
        }),
      );
      spent[name] += performance.now() - t0;
    }
  }
  const results = {};
  for (const name of ctx.managers) {
    const s = samples[name];
    const result = {
      childrenGoneMs: median(s.map((x) => x.childrenGoneMs)),
      managerExitMs: median(s.map((x) => x.managerExitMs)),
      orphans: Math.max(...s.map((x) => x.orphans)),
      startMs: median(s.map((x) => x.startMs)),
      samples: s,
    };
    ctx.log(
      `  terminate ${name}: children gone ${result.childrenGoneMs?.toFixed(0)} ms, exit ${result.managerExitMs?.toFixed(0)} ms, orphans ${result.orphans} (${s.length} rounds)`,
    );
    results[name] = result;
  }
  return results;
}
