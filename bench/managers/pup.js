import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { forgetGroup, killGroup, spawnGroup } from "../lib/cleanup.js";
import { isAlive, listProcesses, readCmdline, sleep, waitFor } from "../lib/procfs.js";
import { runTimed } from "../lib/run-command.js";
import { Manager } from "./manager.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** PUP_BENCH_PUP_BIN runs another build of pup (an A/B copy of bin/ + dist/) under the same harness. */
export const PUP_BIN = process.env.PUP_BENCH_PUP_BIN ?? path.join(REPO, "bin/pup.js");

/** pup: one node process (`pup run`) plus its reaper shell; children are its direct children. */
export class PupManager extends Manager {
  constructor(dir, { extraConfig = {}, processExtras = {} } = {}) {
    super("pup", dir);
    this.configFile = path.join(dir, "pup.json");
    this.extraConfig = extraConfig;
    this.processExtras = processExtras;
  }

  config(children) {
    return {
      ...this.extraConfig,
      logger: { console: false, ...this.extraConfig.logger },
      processes: children.map((c) => ({
        id: c.id,
        cmd: c.cmd,
        autostart: true,
        restart: c.restart ? "always" : "error",
        restartDelayMs: 0,
        ...(c.logFile ? { logger: { stdout: c.logFile } } : {}),
        ...this.processExtras[c.id],
      })),
    };
  }

  async launch(children) {
    writeFileSync(this.configFile, JSON.stringify(this.config(children), null, 2));
    const out = this.outputFd();
    // `npm run bench -- --profile DIR`: every pup run writes a V8 CPU profile there on exit.
    const profile = process.env.PUP_BENCH_PROFILE_DIR;
    const nodeArgs = profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : [];
    this.proc = spawnGroup(process.execPath, [...nodeArgs, PUP_BIN, "run", "--config", this.configFile], {
      cwd: this.dir,
      stdio: ["ignore", out, out],
    });
  }

  /** The reaper: pup's `/bin/sh -c` child running the reaper script (found once, by its script). */
  reaperPid(procs) {
    if (this.reaper && isAlive(this.reaper)) return this.reaper;
    for (const p of procs) {
      if (p.ppid !== this.proc?.pid || p.comm !== "sh") continue;
      if (readCmdline(p.pid)[2]?.includes("trap '' INT TERM HUP QUIT")) this.reaper = p.pid;
    }
    return this.reaper;
  }

  managerPids(procs = listProcesses()) {
    if (!this.proc) return [];
    const reaper = this.reaperPid(procs);
    return reaper ? [this.proc.pid, reaper] : [this.proc.pid];
  }

  /** The instance's files (SPEC §1). */
  get dataDir() {
    return path.join(this.dir, ".pup", "pup.json-data");
  }

  get portFile() {
    return path.join(this.dir, ".pup", "pup.json-tmp", ".main.port");
  }

  async waitApi(timeoutMs = 15_000) {
    const port = await waitFor(
      () => (existsSync(this.portFile) ? Number(readFileSync(this.portFile, "utf8").trim()) : undefined),
      { timeoutMs, what: "pup's API port file" },
    );
    return port;
  }

  async statusCli() {
    const result = await runTimed(process.execPath, [PUP_BIN, "status", "--config", this.configFile], {
      cwd: this.dir,
    });
    if (/not available in this version/.test(result.stderr)) return undefined;
    if (result.code !== 0) throw new Error(`pup status failed: ${result.stderr.trim()}`);
    return result.ms;
  }

  async sendStop() {
    process.kill(this.proc.pid, "SIGTERM");
  }

  async cleanup() {
    if (!this.proc) return;
    const pid = this.proc.pid;
    if (isAlive(pid)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {}
      for (let i = 0; i < 200 && isAlive(pid); i++) await sleep(50);
    }
    // The reaper outlives pup until it has read the last "-pgid" lines (it is slow with many
    // children): it is pup's own, so wait for it rather than report it as a leftover child.
    const reaper = this.reaper;
    for (let i = 0; i < 200 && reaper && isAlive(reaper); i++) await sleep(50);
    // The group holds pup; the reaper and the children have groups of their own (tracked by pid).
    killGroup(pid);
    forgetGroup(pid);
    this.proc = undefined;
  }
}
