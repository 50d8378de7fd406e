import { forgetGroup, killGroup, spawnGroup } from "../lib/cleanup.js";
import { httpLoad } from "../lib/connection-load.js";
import { canConnect, freePort } from "../lib/net.js";
import { cpuNsOf, waitFor } from "../lib/procfs.js";
import { median } from "../lib/stats.js";

/** A tiny HTTP server on PUP_CLUSTER_PORT, the backend behind every path. */
const BACKEND =
  "node -e \"require('http').createServer((q,s)=>s.end('ok')).listen(+process.env.PUP_CLUSTER_PORT,'127.0.0.1')\"";

/**
 * The floor of a userspace TCP proxy in node: two `pipe`s per connection (and an error handler on
 * each side, without which the first reset would end the process).
 */
const MINIMAL_PROXY = `const net=require("net");const [listen,target]=process.argv.slice(1).map(Number);net.createServer(c=>{const s=net.connect(target,"127.0.0.1");c.on("error",()=>c.destroy());s.on("error",()=>c.destroy());c.pipe(s).pipe(c)}).listen(listen,"127.0.0.1")`;

/** HTTP keep-alive, and one new connection per request. */
const MODES = { keepAlive: true, newConnection: false };

/**
 * The load balancer's cost per request: in the same run, against the same backend (a cluster of
 * one instance under pup), 10 clients to the backend directly, through pup's `commonPort`, and
 * through a minimal two-`pipe` node proxy, with the CPU time pup and the proxy spend per request.
 * Rounds interleave the three paths (in a rotating order) so that a change of the machine's load
 * touches each alike; the medians are reported.
 */
export async function balancer(ctx) {
  if (!ctx.managers.includes("pup")) return {};
  const durationS = ctx.quick ? 2 : 4;
  const rounds = ctx.quick ? 1 : 5;
  const startPort = await freePort();
  const commonPort = await freePort();
  const proxyPort = await freePort();
  const processExtras = { web: { cluster: { instances: 1, startPort, commonPort } } };
  return ctx.withManager(
    "pup",
    async (m) => {
      await m.start([{ id: "web", cmd: BACKEND, restart: true }]);
      const wait = (port, what) =>
        waitFor(() => canConnect(port), { timeoutMs: 15_000, intervalMs: 50, what });
      await wait(startPort, "the backend");
      await wait(commonPort, "pup's commonPort");
      const proxy = spawnGroup(process.execPath, ["-e", MINIMAL_PROXY, String(proxyPort), String(startPort)]);
      try {
        await wait(proxyPort, "the minimal proxy");
        // Each path's port, and the processes whose CPU time per request is its cost.
        const paths = {
          direct: { port: startPort, pids: () => [] },
          pup: { port: commonPort, pids: () => m.managerPids() },
          minimal: { port: proxyPort, pids: () => [proxy.pid] },
        };
        const results = {};
        for (const [mode, keepAlive] of Object.entries(MODES)) {
          results[mode] = await measureMode(ctx, paths, { keepAlive, durationS, rounds });
        }
        return results;
      } finally {
        killGroup(proxy.pid);
        forgetGroup(proxy.pid);
      }
    },
    { processExtras },
  );
}

async function measureMode(ctx, paths, { keepAlive, durationS, rounds }) {
  const names = Object.keys(paths);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  // Warm-up: the JIT of the proxies and of the load generator.
  for (const name of names) await httpLoad(paths[name].port, { keepAlive, durationS: 1 });
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length];
      const pids = paths[name].pids();
      const cpu = cpuNsOf(pids);
      const sample = await httpLoad(paths[name].port, { keepAlive, durationS });
      sample.cpuUsPerRequest = pids.length > 0 ? (cpuNsOf(pids) - cpu) / 1000 / sample.requests : undefined;
      samples[name].push(sample);
    }
  }
  const summary = {};
  for (const name of names) {
    const s = samples[name];
    summary[name] = {
      reqPerSec: median(s.map((x) => x.reqPerSec)),
      p99Ms: median(s.map((x) => x.p99Ms)),
      cpuUsPerRequest: median(s.map((x) => x.cpuUsPerRequest)),
      errors: s.reduce((n, x) => n + x.errors, 0),
      samples: s,
    };
  }
  const mode = keepAlive ? "keep-alive" : "new connection per request";
  ctx.log(
    `  ${mode}: ${names
      .map((n) => {
        const cpu = summary[n].cpuUsPerRequest;
        return `${n} ${summary[n].reqPerSec.toFixed(0)} req/s p99 ${summary[n].p99Ms.toFixed(2)} ms${cpu ? ` (${cpu.toFixed(1)} µs CPU/request)` : ""}`;
      })
      .join(", ")}`,
  );
  return summary;
}
