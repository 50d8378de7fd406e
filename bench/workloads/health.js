import net from "node:net";
import { killGroup, spawnGroup } from "../lib/cleanup.js";
import { children } from "../lib/context.js";
import { sleep } from "../lib/procfs.js";

/** A node process answering HTTP 200 on `count` consecutive ports from `base` (the probed servers). */
const FARM = `
const http = require("node:http");
const [base, count] = process.argv.slice(1).map(Number);
for (let i = 0; i < count; i++) http.createServer((q, s) => s.end("ok")).listen(base + i, "127.0.0.1");
`;

function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function freeRange(count) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await canListen(base + i);
    if (ok) return base;
  }
  throw new Error(`no ${count} free ports`);
}

/**
 * What health checks cost (SPEC §8.1; pup only — PM2 and supervisord have none): the instance's
 * CPU with n idle children, without and with an HTTP probe of each every second. The probed
 * servers live in one separate process, so the figure is pup's own cost of probing.
 */
export async function health(ctx, { n = 100 } = {}) {
  const windowMs = ctx.quick ? 5000 : 10_000;
  const base = await freeRange(n);
  const farm = spawnGroup(process.execPath, ["-e", FARM, String(base), String(n)]);
  await sleep(1000);
  const results = {};
  try {
    for (const probed of [false, true]) {
      const extras = {};
      if (probed) {
        for (let i = 0; i < n; i++) {
          extras[`c${i + 1}`] = { healthcheck: { http: `http://127.0.0.1:${base + i}/`, intervalMs: 1000 } };
        }
      }
      const key = probed ? "probed" : "plain";
      results[key] = await ctx.withManager(
        "pup",
        async (m) => {
          await m.start(children(n, "sleep 100000"));
          await m.waitAllRunning(n, "sleep");
          await sleep(3000);
          const cpu = await m.cpu(windowMs);
          ctx.log(`  health ${n} ${key}: pup cpu ${cpu.toFixed(2)} % over ${windowMs / 1000} s`);
          return { cpu, rss: m.rss() };
        },
        { processExtras: extras },
      );
    }
  } finally {
    killGroup(farm.pid);
  }
  return { n, ...results };
}
