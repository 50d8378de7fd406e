#!/usr/bin/env node
// `node bench/stream-memory.js [--clients 200] [--seconds 20] [--rate LINES]`: the instance's memory and API
// latency while event-stream subscribers that never read sit through a log flood, and whether a
// subscriber that reads stays connected (docs/reliability.md, "Bounded resources: the API").
// Needs a build (`npm run build`): it runs bin/pup.js.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { installExitHandlers, killEverything, spawnGroup } from "./lib/cleanup.js";
import { isAlive, readStat, sleep } from "./lib/procfs.js";
import { runTimed } from "./lib/run-command.js";
import { PUP_BIN, PupManager } from "./managers/pup.js";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "200" },
    seconds: { type: "string", default: "20" },
    /** Lines a second the child writes; 0: as fast as pup takes them. */
    rate: { type: "string", default: "0" },
  },
});
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);

// 150-byte lines for as long as the measurement lasts (and a bit): as fast as pup takes them, or
// RATE a second in batches every 10 ms.
const FLOOD =
  RATE > 0
    ? `node -e "const b=('x'.repeat(150)+'\\n').repeat(${Math.max(1, Math.round(RATE / 100))});const end=Date.now()+${(SECONDS + 5) * 1000};const t=setInterval(()=>{if(Date.now()>end)clearInterval(t);process.stdout.write(b)},10)"`
    : `node -e "const l='x'.repeat(150)+'\\n';const end=Date.now()+${(SECONDS + 5) * 1000};(function w(){while(Date.now()<end){if(!process.stdout.write(l.repeat(64)))return process.stdout.once('drain',w)}})()"`;

/** A gauge of GET /metrics, or undefined when this build has none or the scrape fails. */
async function gauge(base, headers, name) {
  try {
    const text = await (
      await fetch(`${base}/metrics`, { headers, signal: AbortSignal.timeout(30_000) })
    ).text();
    const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** GET /processes once: its wall time in ms, or the failure. */
async function timedGet(url, headers) {
  const t0 = performance.now();
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
    await response.arrayBuffer();
    return { ms: performance.now() - t0, status: response.status };
  } catch (err) {
    return { ms: performance.now() - t0, status: String(err.name) };
  }
}

function openClient(url, { read }) {
  const ws = new WebSocket(url);
  const client = { ws, received: 0, closed: undefined };
  ws.on("open", () => {
    // A subscriber that never reads: the kernel buffers fill, then the instance's.
    if (!read) ws._socket.pause();
  });
  ws.on("message", () => client.received++);
  ws.on("close", (code, reason) => {
    client.closed = { code, reason: String(reason) };
  });
  ws.on("error", () => {});
  return client;
}

async function main() {
  installExitHandlers();
  const dir = mkdtempSync(path.join(os.tmpdir(), "pup-stream-bench-"));
  const manager = new PupManager(dir);
  const configFile = path.join(dir, "pup.json");
  writeFileSync(
    configFile,
    JSON.stringify({ logger: { console: false }, processes: [{ id: "flood", cmd: FLOOD }] }),
  );
  const pup = spawnGroup(process.execPath, [PUP_BIN, "run", "--config", configFile], { cwd: dir });
  try {
    const port = await manager.waitApi();
    const token = await runTimed(
      process.execPath,
      [PUP_BIN, "token", "--config", configFile, "--consumer", "bench", "--expire-in", "3600"],
      { cwd: dir },
    );
    const headers = { authorization: `Bearer ${token.stdout.trim()}` };
    const base = `http://127.0.0.1:${port}`;
    const wss = `ws://127.0.0.1:${port}/wss?access_token=${token.stdout.trim()}`;
    await timedGet(`${base}/processes`, headers); // loads the HTTP stack
    const idleRss = readStat(pup.pid).rss;

    const silent = [];
    for (let i = 0; i < CLIENTS; i++) silent.push(openClient(wss, { read: false }));
    const reader = openClient(wss, { read: true });
    await sleep(1000);
    await fetch(`${base}/processes/flood/start`, { method: "POST", headers });

    let peakRss = 0;
    let peakUnsent;
    let slowestGet = 0;
    const statuses = new Set();
    const until = performance.now() + SECONDS * 1000;
    while (performance.now() < until && isAlive(pup.pid)) {
      const got = await timedGet(`${base}/processes`, headers);
      slowestGet = Math.max(slowestGet, got.ms);
      statuses.add(got.status);
      peakRss = Math.max(peakRss, readStat(pup.pid)?.rss ?? 0);
      const unsent = await gauge(base, headers, "pup_api_stream_unsent_bytes");
      if (unsent !== undefined) peakUnsent = Math.max(peakUnsent ?? 0, unsent);
      await sleep(250);
    }
    const finalRss = readStat(pup.pid)?.rss ?? 0;
    peakRss = Math.max(peakRss, finalRss);
    // The instance's view: a paused client cannot notice its connection closed.
    const subscribers = await gauge(base, headers, "pup_api_stream_subscribers");
    const closes = new Map();
    for (const c of silent) {
      const key = c.closed ? `${c.closed.code} ${c.closed.reason}`.trim() : "still open";
      closes.set(key, (closes.get(key) ?? 0) + 1);
    }
    const mib = (b) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
    const lines = [
      `clients: ${CLIENTS} that never read, 1 that reads; flood of 150-byte lines ` +
        `(${RATE > 0 ? `${RATE} a second` : "as fast as pup takes them"}) for ${SECONDS} s`,
      `instance RSS: idle ${mib(idleRss)}, peak ${mib(peakRss)}, at the end ${mib(finalRss)}`,
      `GET /processes during the flood: slowest ${slowestGet.toFixed(0)} ms, answers ${[...statuses].join(", ")}`,
      `unsent bytes over all subscribers, peak: ${peakUnsent === undefined ? "n/a" : mib(peakUnsent)}`,
      `subscribers the instance still serves at the end: ${subscribers ?? "n/a"}`,
      `silent clients at the end, as they see it: ${[...closes].map(([k, n]) => `${n} × ${k}`).join("; ")}`,
      `reading client: ${reader.closed ? `closed (${reader.closed.code} ${reader.closed.reason})` : "still open"}, ${reader.received} messages`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    for (const c of [...silent, reader]) c.ws.terminate();
  } finally {
    if (isAlive(pup.pid)) process.kill(pup.pid, "SIGTERM");
    for (let i = 0; i < 200 && isAlive(pup.pid); i++) await sleep(50);
    killEverything();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`stream-memory failed: ${err.stack}\n`);
  process.exitCode = 1;
});
