#!/usr/bin/env node
// `npm run bench`: the same workloads under pup, PM2 and supervisord; see docs/benchmarks.md.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { installExitHandlers, killEverything } from "./lib/cleanup.js";
import { createContext, MANAGERS } from "./lib/context.js";
import { ensureSupervisor } from "./lib/supervisor-install.js";
import { REPO } from "./managers/pup.js";
import { buildReport, renderTable } from "./report.js";
import { api } from "./workloads/api.js";
import { balancer } from "./workloads/balancer.js";
import { cli } from "./workloads/cli.js";
import { floor } from "./workloads/floor.js";
import { health } from "./workloads/health.js";
import { idle } from "./workloads/idle.js";
import { logs } from "./workloads/logs.js";
import { restart } from "./workloads/restart.js";
import { scale } from "./workloads/scale.js";
import { storeCount } from "./workloads/store.js";
import { terminate } from "./workloads/terminate.js";

const WORKLOADS = {
  floor: (ctx) => floor(ctx),
  idle: (ctx) => idle(ctx),
  restart: (ctx) => restart(ctx),
  logs: (ctx) => logs(ctx, { storeCount }),
  cli: (ctx) => cli(ctx),
  terminate: (ctx) => terminate(ctx),
  api: (ctx) => api(ctx),
  balancer: (ctx) => balancer(ctx),
  scale: (ctx) => scale(ctx),
  health: (ctx) => health(ctx),
};

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    managers: { type: "string" },
    keep: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
    profile: { type: "string" },
    report: { type: "string" },
  },
});

const loadAvgBefore = os.loadavg();

/** The commit measured, and how many files under src/ differ from it (the checkout is shared). */
function gitDescription() {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: REPO,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "src"], { cwd: REPO, encoding: "utf8" })
      .split("\n")
      .filter(Boolean).length;
    return dirty > 0 ? `${head} + ${dirty} uncommitted files under src/` : head;
  } catch {
    return undefined;
  }
}

/** A full run takes 6–8 minutes; past this something hangs: clean up and fail rather than wait. */
const WATCHDOG_MS = 15 * 60_000;

/** `--report FILE`: print the table of an earlier run again (after a change to report.js). */
function reprint(file) {
  const { meta, results } = JSON.parse(readFileSync(file, "utf8"));
  process.stdout.write(`${renderTable(buildReport(results), meta)}\n`);
}

async function main() {
  if (values.report) return reprint(values.report);
  installExitHandlers();
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${WATCHDOG_MS / 60_000} minutes; giving up\n`);
    killEverything();
    process.exit(1);
  }, WATCHDOG_MS).unref();
  let build = "skipped (--no-build)";
  if (!values["no-build"]) {
    try {
      execFileSync("npm", ["run", "build"], { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] });
      build = "built";
    } catch (err) {
      // The checkout is shared with work in progress: measure the last good dist/ rather than stop.
      build = "build failed; measured the existing dist/";
      process.stderr.write(
        `bench: npm run build failed, measuring the existing dist/\n${err.stderr ?? ""}\n`,
      );
    }
  }
  if (values.profile) process.env.PUP_BENCH_PROFILE_DIR = path.resolve(values.profile);
  const managers = values.managers ? values.managers.split(",") : MANAGERS;
  const supervisorBins = managers.includes("supervisord") ? ensureSupervisor() : undefined;
  const ctx = createContext({ quick: values.quick, managers, supervisorBins, keep: values.keep });
  const selected = values.only ? values.only.split(",") : Object.keys(WORKLOADS);

  const startedAt = new Date();
  const results = {};
  for (const name of selected) {
    if (!WORKLOADS[name])
      throw new Error(`unknown workload ${name}; known: ${Object.keys(WORKLOADS).join(", ")}`);
    ctx.log(`${name}…`);
    const t0 = performance.now();
    try {
      results[name] = await WORKLOADS[name](ctx);
    } catch (err) {
      ctx.log(`  ${name} failed: ${err.stack}`);
      results[name] = { error: String(err.message) };
    }
    ctx.log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }

  const report = buildReport(results);
  const meta = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: values.quick,
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memory: os.totalmem(),
    loadAvgBefore,
    build,
    git: gitDescription(),
    loadAvgAfter: os.loadavg(),
  };
  const outDir = path.join(REPO, "bench/results");
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `bench-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ meta, rows: report, results }, null, 2)}\n`);
  process.stdout.write(`${renderTable(report, meta)}\n`);
  ctx.log(`results: ${path.relative(process.cwd(), file)}`);
}

main()
  .catch((err) => {
    process.stderr.write(`bench failed: ${err.stack}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    killEverything();
  });
