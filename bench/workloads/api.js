import { connect, createServer } from "node:net";
import autocannon from "autocannon";
import { children } from "../lib/context.js";
import { waitFor } from "../lib/procfs.js";
import { runTimed } from "../lib/run-command.js";
import { PUP_BIN } from "../managers/pup.js";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function cannon(url, { headers = {}, durationS }) {
  const result = await autocannon({ url, connections: 10, duration: durationS, headers });
  return {
    reqPerSec: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

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

/** A tiny HTTP server on PUP_CLUSTER_PORT, the backend behind the load balancer. */
const BACKEND =
  "node -e \"require('http').createServer((q,s)=>s.end('ok')).listen(+process.env.PUP_CLUSTER_PORT,'127.0.0.1')\"";

/** The load balancer (cluster commonPort) against a direct connection to the same backend. */
async function loadBalancer(ctx, durationS) {
  const startPort = await freePort();
  const commonPort = await freePort();
  const processExtras = { web: { cluster: { instances: 1, startPort, commonPort } } };
  return ctx.withManager(
    "pup",
    async (m) => {
      await m.start([{ id: "web", cmd: BACKEND, restart: true }]);
      await waitFor(() => canConnect(startPort), { timeoutMs: 15_000, intervalMs: 50, what: "the backend" });
      try {
        await waitFor(() => canConnect(commonPort), { timeoutMs: 3000, intervalMs: 50, what: "commonPort" });
      } catch {
        return { na: "pup has no load balancer yet (nothing listens on commonPort)" };
      }
      const direct = await cannon(`http://127.0.0.1:${startPort}/`, { durationS });
      const balanced = await cannon(`http://127.0.0.1:${commonPort}/`, { durationS });
      ctx.log(
        `  load balancer: ${balanced.reqPerSec.toFixed(0)} req/s vs direct ${direct.reqPerSec.toFixed(0)} req/s`,
      );
      return { direct, balanced, ratio: balanced.reqPerSec / direct.reqPerSec };
    },
    { processExtras },
  );
}

/** pup only, against the floor: its REST API and its load balancer. */
export async function api(ctx) {
  if (!ctx.managers.includes("pup")) return {};
  const durationS = ctx.quick ? 3 : 10;
  const processes = await processesEndpoint(ctx, durationS);
  if (processes.na) ctx.log(`  GET /processes: n/a (${processes.na})`);
  const lb = await loadBalancer(ctx, durationS);
  if (lb.na) ctx.log(`  load balancer: n/a (${lb.na})`);
  return { processes, loadBalancer: lb };
}
