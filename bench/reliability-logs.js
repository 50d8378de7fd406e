#!/usr/bin/env node
// The log store's files under realistic load, and `pup logs` read back (docs/reliability.md,
// "Bounded resources: logs"). Runs the built pup (`npm run build` first), in real time:
//   node bench/reliability-logs.js [--only trickle,crash,readback] [--minutes 60] [--rate 50]
//                                  [--crash-seconds 60] [--entries 100000] [--keep]
// trickle: a child printing --rate lines a second for --minutes, the store's file and WAL sampled
//   every minute (in real time, so that the commits are those of a real trickle);
// crash: a child printing three lines and exiting 1, restarted with restartDelayMs 0;
// readback: a child printing --entries lines, then `pup logs -n <all>` through a pipe to wc -l.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { installExitHandlers, killEverything, killGroup, spawnGroup } from "./lib/cleanup.js";
import { readStat, sleep } from "./lib/procfs.js";
import { PUP_BIN } from "./managers/pup.js";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "trickle,crash,readback" },
    minutes: { type: "string", default: "60" },
    rate: { type: "string", default: "50" },
    "crash-seconds": { type: "string", default: "60" },
    entries: { type: "string", default: "100000" },
    keep: { type: "boolean", default: false },
  },
});

const MiB = 1024 * 1024;
const log = (line) => process.stdout.write(`${line}\n`);
const mib = (bytes) => `${(bytes / MiB).toFixed(2)} MiB`;
const size = (file) => (existsSync(file) ? statSync(file).size : 0);

/** A pup instance in a fresh folder with `processes`; its store, and how to stop it. */
async function instance(name, processes) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `pup-reliability-${name}-`));
  const config = path.join(dir, "pup.json");
  writeFileSync(config, JSON.stringify({ logger: { console: false }, processes }, null, 2));
  const proc = spawnGroup(process.execPath, [PUP_BIN, "run", "--config", config], { cwd: dir });
  const db = path.join(dir, ".pup", "pup.json-data", "logs.db");
  for (let i = 0; i < 200 && !existsSync(db); i++) await sleep(50);
  return {
    dir,
    config,
    db,
    pid: proc.pid,
    files: () => ({ db: size(db), wal: size(`${db}-wal`), shm: size(`${db}-shm`) }),
    rss: () => readStat(proc.pid)?.rss ?? 0,
    async stop() {
      spawnSync(process.execPath, [PUP_BIN, "terminate", "--config", config], { stdio: "ignore" });
      for (let i = 0; i < 300 && readStat(proc.pid); i++) await sleep(100);
      killGroup(proc.pid);
    },
    remove() {
      if (!values.keep) rmSync(dir, { recursive: true, force: true });
      else log(`  kept ${dir}`);
    },
  };
}

/** Entries in the store (read-only, as `pup logs` reads it), by process; 0 before it has a table. */
function storedCount(db, processId, category) {
  if (!existsSync(db)) return 0;
  const reader = new Database(db, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    if (!reader.prepare("SELECT 1 FROM sqlite_master WHERE name = 'chunks'").get()) return 0;
    const clauses = [];
    const params = [];
    if (processId) clauses.push("process_id = ?") && params.push(processId);
    if (category) clauses.push("category = ?") && params.push(category);
    const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
    return reader.prepare(`SELECT coalesce(sum(line_count), 0) AS n FROM chunks ${where}`).get(...params).n;
  } finally {
    reader.close();
  }
}

/**
 * A child printing `rate` lines a second, each like a web server's access line (~100 bytes): a
 * line every 1000/rate ms, catching up when a timer fires late, so that the rate holds on a busy
 * machine.
 */
function trickleScript(dir, rate) {
  const file = path.join(dir, "trickle.js");
  writeFileSync(
    file,
    `let i = 0;
const start = Date.now();
const paths = ["/", "/api/users", "/api/orders/42", "/static/app.js", "/health"];
setInterval(() => {
  const due = Math.floor(((Date.now() - start) * ${rate}) / 1000);
  while (i < due) {
    i++;
    const ms = (i * 7919) % 400;
    process.stdout.write(new Date().toISOString() + " GET " + paths[i % 5] + " 200 " + ms + "ms req=" + i + " ua=Mozilla/5.0\\n");
  }
}, ${1000 / rate});
`,
  );
  return file;
}

async function trickle() {
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  log(`trickle: ${rate} lines/s for ${minutes} min (${rate * 60 * minutes} lines), sampled every minute`);
  const pup = await instance("trickle", [{ id: "web", cmd: "node trickle.js", autostart: true }]);
  trickleScript(pup.dir, rate);
  let maxWal = 0;
  const started = Date.now();
  try {
    for (let m = 1; m <= minutes; m++) {
      const until = started + m * 60_000;
      while (Date.now() < until) {
        maxWal = Math.max(maxWal, pup.files().wal);
        await sleep(1000);
      }
      const f = pup.files();
      log(
        `  ${String(m).padStart(3)} min: ${storedCount(pup.db, "web", "stdout")} lines stored; logs.db ${mib(f.db)}, -wal ${mib(f.wal)} (max ${mib(maxWal)}), pup RSS ${mib(pup.rss())}`,
      );
    }
    const f = pup.files();
    const lines = storedCount(pup.db, "web", "stdout");
    log(
      `  result: ${lines} lines; logs.db ${mib(f.db)} (${(f.db / lines).toFixed(0)} bytes/line), -wal ${mib(f.wal)}, largest -wal seen ${mib(maxWal)}`,
    );
  } finally {
    await pup.stop();
    const f = pup.files();
    log(`  after terminate: logs.db ${mib(f.db)}, -wal ${mib(f.wal)}`);
    pup.remove();
  }
}

async function crash() {
  const seconds = Number(values["crash-seconds"]);
  log(`crash loop: a child printing 3 lines and exiting 1, restartDelayMs 0, for ${seconds} s`);
  const cmd =
    "sh -c 'echo starting worker; echo loading configuration; echo fatal: cannot connect >&2; exit 1'";
  const pup = await instance("crash", [{ id: "crash", cmd, autostart: true, restartDelayMs: 0 }]);
  let maxWal = 0;
  const started = Date.now();
  try {
    while (Date.now() - started < seconds * 1000) {
      maxWal = Math.max(maxWal, pup.files().wal);
      await sleep(500);
    }
    const f = pup.files();
    const entries = storedCount(pup.db);
    const runs = storedCount(pup.db, "crash") / 5;
    log(
      `  result: ~${Math.round(runs)} runs, ${entries} entries; logs.db ${mib(f.db)}, -wal ${mib(f.wal)}, largest -wal seen ${mib(maxWal)}, pup RSS ${mib(pup.rss())}`,
    );
  } finally {
    await pup.stop();
    pup.remove();
  }
}

async function readback() {
  const total = Number(values.entries);
  log(`readback: a child prints ${total} lines; pup logs -n <all> | wc -l against the store`);
  const cmd = `seq -f 'line %.0f of a readback ${"x".repeat(40)}' 1 ${total}`;
  const pup = await instance("readback", [{ id: "seq", cmd, autostart: true, restart: "error" }]);
  try {
    for (let i = 0; i < 600 && storedCount(pup.db, "seq", "stdout") < total; i++) await sleep(100);
    await pup.stop();
    const stored = storedCount(pup.db);
    const printed = Number(
      execFileSync(
        "bash",
        [
          "-c",
          `"${process.execPath}" "${PUP_BIN}" logs --config "${pup.config}" -n ${stored + 10} | (sleep 1; wc -l)`,
        ],
        { encoding: "utf8" },
      ).trim(),
    );
    log(
      `  result: ${stored} entries stored, ${printed} lines printed by pup logs | wc -l: ${stored === printed ? "equal" : "DIFFERENT"}`,
    );
    const child = storedCount(pup.db, "seq", "stdout");
    if (child !== total) log(`  the child's lines: ${child} of ${total} stored`);
  } finally {
    pup.remove();
  }
}

const RUNS = { trickle, crash, readback };

async function main() {
  installExitHandlers();
  log(`pup ${PUP_BIN}; node ${process.version}; ${os.cpus().length} CPUs; ${new Date().toISOString()}`);
  for (const name of values.only.split(",")) {
    if (!RUNS[name]) throw new Error(`unknown run ${name}; known: ${Object.keys(RUNS).join(", ")}`);
    await RUNS[name]();
  }
}

main()
  .catch((err) => {
    process.stderr.write(`reliability-logs failed: ${err.stack}\n`);
    process.exitCode = 1;
  })
  .finally(() => killEverything());
