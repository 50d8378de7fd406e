import { killGroup, spawnGroup } from "../lib/cleanup.js";
import { children } from "../lib/context.js";
import { sleep } from "../lib/procfs.js";

/** A node process answering HTTP 200 on `count` ports of the kernel's choice, printed as JSON. */
const FARM = `
const http = require("node:http");
const count = Number(process.argv[1]);
const ports = [];
for (let i = 0; i < count; i++) {
  const server = http.createServer((q, s) => s.end("ok")).listen(0, "127.0.0.1", () => {
    ports.push(server.address().port);
    if (ports.length === count) process.stdout.write(JSON.stringify(ports) + "\\n");
  });
}
`;

/** The ports the farm listens on, once it does. */
function farmPorts(farm) {
  return new Promise((resolve, reject) => {
    let text = "";
    farm.stdout.on("data", (d) => {
      text += d;
      if (text.includes("\n")) resolve(JSON.parse(text));
    });
    farm.once("exit", () => reject(new Error("the probed servers exited")));
  });
}

/**
 * What health checks cost (SPEC §8.1; pup only — PM2 and supervisord have none): the instance's
 * CPU with n idle children, without and with an HTTP probe of each every second. The probed
 * servers live in one separate process, so the figure is pup's own cost of probing.
 */
export async function health(ctx, { n = 100 } = {}) {
  const windowMs = ctx.quick ? 5000 : 10_000;
  const farm = spawnGroup(process.execPath, ["-e", FARM, String(n)], { stdio: ["ignore", "pipe", "ignore"] });
  const ports = await farmPorts(farm);
  const results = {};
  try {
    for (const probed of [false, true]) {
      const extras = {};
      if (probed) {
        for (let i = 0; i < n; i++) {
          extras[`c${i + 1}`] = { healthcheck: { http: `http://127.0.0.1:${ports[i]}/`, intervalMs: 1000 } };
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
