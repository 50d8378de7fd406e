import { children } from "../lib/context.js";
import { median } from "../lib/stats.js";

/** CLI round trip: `pup status` / `pm2 jlist` / `supervisorctl status` against 10 children; median of 10. */
export async function cli(ctx) {
  const runs = ctx.quick ? 3 : 10;
  const results = {};
  for (const name of ctx.managers) {
    results[name] = await ctx.withManager(name, async (m) => {
      await m.start(children(10, "sleep 100000"));
      await m.waitAllRunning(10, "sleep");
      const first = await m.statusCli(); // warms the page cache; undefined when there is no such command
      if (first === undefined) {
        ctx.log(`  cli ${name}: n/a (no status command yet)`);
        return { ms: undefined };
      }
      const samples = [];
      for (let i = 0; i < runs; i++) samples.push(await m.statusCli());
      const ms = median(samples);
      ctx.log(`  cli ${name}: median ${ms.toFixed(0)} ms`);
      return { ms, samples };
    });
  }
  return results;
}
