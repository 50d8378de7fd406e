// `npm run soak`: one pup instance with 100 processes (a tenth of them crash-looping) under a mixed
// REST API load (status, process lists, logs, stop/start, event-stream clients that stay and that
// come and go) as fast as the machine allows, for SOAK_SECONDS (default 120). It records API
// errors (5xx, dropped connections, event streams cut), latency percentiles, the instance's RSS
// and open file descriptors at the start and the end, and checks that every child pid the
// instance ever started (seen through the API and its events, and in /proc by the instance's
// reaper tag) is gone once the instance has terminated. Exit 1 when any of that fails.
// Not part of `npm test`. Needs `npm run build` first (it runs bin/pup.js).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { installExitHandlers, killProcesses, spawnGroup, trackProcess } from "./lib/cleanup.js";
import { isAlive, readStat, sleep, waitFor } from "./lib/procfs.js";
import { percentile } from "./lib/stats.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PUP = path.join(ROOT, "bin", "pup.js");
const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const HTTP_WORKERS = Number(process.env.SOAK_WORKERS ?? 16);
const STEADY_STREAMS = 8;
const PROCESSES = 100;
const CRASHING = PROCESSES / 10;

installExitHandlers();

function configuration() {
  const processes = [];
  for (let i = 0; i < PROCESSES; i++) {
    const id = `p${String(i).padStart(3, "0")}`;
    if (i < CRASHING) {
      // Crash-looping: out, err, exit 3 after a moment, restarted 100 ms later, forever.
      processes.push({
        id,
        cmd: "sh -c 'echo up; echo failing >&2; sleep 0.3; exit 3'",
        autostart: true,
        restart: "always",
        restartDelayMs: 100,
      });
    } else if (i < 40) {
      // Chatty: a line every 100 ms.
      processes.push({ id, cmd: "sh -c 'while :; do echo tick $$; sleep 0.1; done'", autostart: true });
    } else {
      processes.push({ id, cmd: "sleep 86400", autostart: true, terminateTimeout: 5 });
    }
  }
  return { logger: { console: false }, processes };
}

/** Every request goes through one keep-alive agent, as a busy dashboard or client would. */
const agent = new http.Agent({ keepAlive: true, maxSockets: HTTP_WORKERS });

function request(port, token, method, url) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request(
      { host: "127.0.0.1", port, method, path: url, agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, ms: performance.now() - started, body: Buffer.concat(chunks) }),
        );
        res.on("error", (err) => resolve({ status: 0, ms: performance.now() - started, error: err.code }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (err) =>
      resolve({ status: 0, ms: performance.now() - started, error: err.code ?? err.message }),
    );
    req.end();
  });
}

/** What the load does, by weight: reads mostly, some control, as an operator's tools would. */
const OPERATIONS = [
  { weight: 4, name: "GET /state", make: () => ["GET", "/state"] },
  { weight: 3, name: "GET /processes", make: () => ["GET", "/processes"] },
  { weight: 2, name: "GET /processes/{id}", make: (i) => ["GET", `/processes/p${pad(i % PROCESSES)}`] },
  { weight: 3, name: "GET /logs", make: (i) => ["GET", `/logs?nRows=${i % 2 ? 100 : 1000}`] },
  { weight: 1, name: "GET /metrics", make: () => ["GET", "/metrics"] },
  // Stop and start steady processes (p040…p099), each worker its own, so every stop has a start.
  { weight: 2, name: "POST stop+start", make: null },
];
const pad = (n) => String(n).padStart(3, "0");

function pickOperation(random) {
  const total = OPERATIONS.reduce((s, o) => s + o.weight, 0);
  let r = random * total;
  for (const op of OPERATIONS) {
    r -= op.weight;
    if (r < 0) return op;
  }
  return OPERATIONS[0];
}

function recorder() {
  const stats = { requests: 0, byStatus: {}, errors: [], latencies: [], byOperation: {} };
  return {
    stats,
    record(name, result) {
      stats.requests++;
      const key = result.status === 0 ? `dropped (${result.error})` : String(result.status);
      stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
      stats.latencies.push(result.ms);
      if (!stats.byOperation[name]) stats.byOperation[name] = [];
      stats.byOperation[name].push(result.ms);
      if (result.status === 0 || result.status >= 500) {
        if (stats.errors.length < 20)
          stats.errors.push(`${name}: ${key} ${result.body?.toString().slice(0, 200) ?? ""}`);
      }
    },
  };
}

/** Pids the instance started, with their start times (so a reused pid is never taken for one). */
function pidCollector() {
  const seen = new Map();
  return {
    seen,
    add(pid) {
      if (!pid || seen.has(pid)) return;
      const stat = readStat(pid);
      if (stat) {
        seen.set(pid, stat.start);
        trackProcess(pid);
      }
    },
  };
}

function reaperTag(pid) {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
    return env.find((v) => v.startsWith("PUP_REAPER_TAG="))?.slice("PUP_REAPER_TAG=".length);
  } catch {
    return undefined;
  }
}

/** Every process whose environment carries the instance's reaper tag (its children, whatever they are). */
function scanByTag(tag, pids) {
  const needle = `PUP_REAPER_TAG=${tag}\0`;
  for (const name of readdirSync("/proc")) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "latin1").includes(needle)) pids.add(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
}

function instanceUsage(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMiB: +(rssKb / 1024).toFixed(1), fds: readdirSync(`/proc/${pid}/fd`).length };
}

function streamClient(port, token, pids, counters, onClosed) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/wss`, { headers: { authorization: `Bearer ${token}` } });
  ws.on("message", (data) => {
    counters.messages++;
    const text = data.toString();
    if (!text.startsWith('{"t":"process_status_changed"')) return;
    const message = JSON.parse(text);
    pids.add(message.d?.status?.pid);
  });
  ws.on("error", (err) => {
    counters.errors.push(`event stream: ${err.message}`);
  });
  ws.on("close", (code) => onClosed(code));
  return ws;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), "pup-soak-"));
  const file = path.join(dir, "pup.json");
  writeFileSync(file, JSON.stringify(configuration(), null, 2));
  const instance = spawnGroup(process.execPath, [PUP, "run", "--config", file], { stdio: "ignore" });
  const portFile = path.join(dir, ".pup", "pup.json-tmp", ".main.port");
  const port = await waitFor(
    () => {
      try {
        const n = Number(readFileSync(portFile, "utf8"));
        return n > 0 ? n : undefined;
      } catch {
        return undefined;
      }
    },
    { what: "the instance's port file" },
  );
  const token = execFileSync(
    process.execPath,
    [PUP, "token", "--config", file, "--consumer", "soak", "--expire-in", "3600"],
    {
      encoding: "utf8",
    },
  ).trim();

  const pids = pidCollector();
  const tagged = new Set();
  const collectFromApi = async () => {
    const r = await request(port, token, "GET", "/processes");
    if (r.status !== 200) return;
    for (const p of JSON.parse(r.body).data) pids.add(p.status.pid);
  };
  await waitFor(
    async () => {
      const r = await request(port, token, "GET", "/processes");
      return (
        r.status === 200 &&
        JSON.parse(r.body).data.filter((p) => p.status.status === 200).length >= PROCESSES - CRASHING
      );
    },
    { what: "the processes to run", timeoutMs: 60_000 },
  );
  await collectFromApi();
  // Any child will do; a crash-looping one may be gone by now, so the first that still runs.
  const tag = [...pids.seen.keys()].map(reaperTag).find((t) => t !== undefined);
  if (!tag) throw new Error("no child carries PUP_REAPER_TAG: cannot find the instance's children in /proc");

  await sleep(2000); // settle: the first burst of starts is not the steady state
  const before = instanceUsage(instance.pid);
  const { stats, record } = recorder();
  const streams = { messages: 0, errors: [], unexpectedCloses: 0, opened: 0 };
  const deadline = Date.now() + SECONDS * 1000;
  let ending = false;

  // Event-stream clients: some stay for the whole run, one comes and goes all the time.
  const steady = [];
  for (let i = 0; i < STEADY_STREAMS; i++) {
    streams.opened++;
    steady.push(
      streamClient(port, token, pids, streams, (code) => {
        if (!ending) {
          streams.unexpectedCloses++;
          streams.errors.push(`event stream closed by the instance (code ${code})`);
        }
      }),
    );
  }
  const churn = (async () => {
    while (Date.now() < deadline) {
      streams.opened++;
      const ws = streamClient(port, token, pids, streams, () => {});
      await new Promise((r) => ws.once("open", r).once("error", r));
      await sleep(200);
      ws.close();
      await new Promise((r) => ws.once("close", r));
    }
  })();

  // RSS through the run, to tell a plateau (warm-up) from a climb (a leak).
  const rssTrend = [];
  let nextSample = Date.now();
  const scanner = (async () => {
    while (Date.now() < deadline) {
      if (Date.now() >= nextSample) {
        rssTrend.push(instanceUsage(instance.pid).rssMiB);
        nextSample += 10_000;
      }
      scanByTag(tag, tagged);
      for (const pid of tagged) pids.add(pid);
      await collectFromApi();
      await sleep(500);
    }
  })();

  const workers = Array.from({ length: HTTP_WORKERS }, async (_, w) => {
    let i = w;
    const own = 40 + (w % (PROCESSES - 40));
    while (Date.now() < deadline) {
      i += HTTP_WORKERS;
      const op = pickOperation(Math.random());
      if (op.make === null) {
        const id = `p${pad(own)}`;
        record("POST /processes/{id}/stop", await request(port, token, "POST", `/processes/${id}/stop`));
        record("POST /processes/{id}/start", await request(port, token, "POST", `/processes/${id}/start`));
        continue;
      }
      const [method, url] = op.make(i);
      record(op.name, await request(port, token, method, url));
    }
  });
  await Promise.all([...workers, churn, scanner]);
  await collectFromApi();
  scanByTag(tag, tagged);
  for (const pid of tagged) pids.add(pid);

  // Measured as at the start: without the load's own connections.
  ending = true;
  for (const ws of steady) ws.close();
  agent.destroy();
  await sleep(500);
  const after = instanceUsage(instance.pid);
  const terminated = await request(port, token, "POST", "/terminate");
  const exited = await waitFor(() => !isAlive(instance.pid), {
    what: "the instance to exit",
    timeoutMs: 60_000,
  })
    .then(() => true)
    .catch(() => false);
  // The instance waits for its children before it exits; give the kernel a moment to reap.
  await sleep(500);
  const left = [...pids.seen].filter(([pid, start]) => isAlive(pid, start)).map(([pid]) => pid);
  const leftTagged = new Set();
  scanByTag(tag, leftTagged);
  killProcesses(left);

  const secondsRun = SECONDS;
  const report = {
    seconds: secondsRun,
    processes: PROCESSES,
    crashLooping: CRASHING,
    httpWorkers: HTTP_WORKERS,
    requests: stats.requests,
    requestsPerSecond: Math.round(stats.requests / secondsRun),
    byStatus: stats.byStatus,
    latencyMs: {
      p50: +percentile(stats.latencies, 50).toFixed(1),
      p99: +percentile(stats.latencies, 99).toFixed(1),
      max: +Math.max(...stats.latencies).toFixed(1),
    },
    p99ByOperation: Object.fromEntries(
      Object.entries(stats.byOperation).map(([k, v]) => [k, +percentile(v, 99).toFixed(1)]),
    ),
    apiErrors: stats.errors,
    eventStreams: {
      opened: streams.opened,
      messages: streams.messages,
      unexpectedCloses: streams.unexpectedCloses,
      errors: streams.errors.slice(0, 10),
    },
    instance: { start: before, end: after, rssMiBEvery10s: rssTrend },
    childPidsSeen: pids.seen.size,
    childPidsLeft: left,
    taggedLeft: [...leftTagged],
    terminate: terminated.status,
    instanceExited: exited,
  };
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const failures = [];
  if (stats.errors.length > 0) failures.push("API errors (5xx or dropped connections)");
  if (streams.unexpectedCloses > 0 || streams.errors.length > 0) failures.push("event streams cut");
  if (left.length > 0 || leftTagged.size > 0) failures.push("children outlived the instance");
  if (!exited || terminated.status !== 200) failures.push("the instance did not terminate cleanly");
  if (failures.length > 0) {
    process.stderr.write(`soak: FAILED: ${failures.join("; ")}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write("soak: ok\n");
  }
}

main().catch((err) => {
  process.stderr.write(`soak: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
