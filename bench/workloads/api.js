import { children } from "../lib/context.js";
import { cannon } from "../lib/net.js";
import { runTimed } from "../lib/run-command.js";
import { PUP_BIN } from "../managers/pup.js";

/** GET /processes with 100 processes: requests/s and p99 latency (autocannon, 10 connections). */
async function processesEndpoint(ctx, durationS) {
  return ctx.withManager("pup", async (m) => {
    await m.start(children(100, "sleep 100000"));
    await m.waitAllRunning(100, "sleep");
    let port;
    try {
      port = await m.waitApi(5000);
    } catch {
      return { na: "pup has no REST API yet (no port file)" };
    }
    const token = await runTimed(
      process.execPath,
      [PUP_BIN, "token", "--config", m.configFile, "--consumer", "bench", "--expire-in", "600"],
      { cwd: m.dir },
    );
    if (token.code !== 0) return { na: `pup token failed: ${token.stderr.trim()}` };
    const headers = { authorization: `Bearer ${token.stdout.trim()}` };
    const url = `http://127.0.0.1:${port}/processes`;
    // The instance's first request: it may include loading the API's HTTP stack.
    const first = performance.now();
    const firstResponse = await fetch(url, { headers });
    await firstResponse.arrayBuffer();
    const firstRequestMs = performance.now() - first;
    const result = await cannon(url, { headers, durationS });
    ctx.log(
      `  GET /processes: first request ${firstRequestMs.toFixed(0)} ms (${firstResponse.status}), ` +
        `then ${result.reqPerSec.toFixed(0)} req/s, p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}`,
    );
    return { ...result, firstRequestMs };
  });
}

/** pup only: its REST API. */
export async function api(ctx) {
  if (!ctx.managers.includes("pup")) return {};
  const durationS = ctx.quick ? 3 : 10;
  const processes = await processesEndpoint(ctx, durationS);
  if (processes.na) ctx.log(`  GET /processes: n/a (${processes.na})`);
  return { processes };
}
