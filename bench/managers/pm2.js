import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { addHook, forgetGroup, killGroup, spawnGroup } from "../lib/cleanup.js";
import { commandArgv } from "../lib/command.js";
import { isAlive, waitFor } from "../lib/procfs.js";
import { runTimed } from "../lib/run-command.js";
import { Manager } from "./manager.js";
import { REPO } from "./pup.js";

const PM2_BIN = path.join(REPO, "node_modules/.bin/pm2");

/**
 * PM2 with a PM2_HOME of its own in the temp folder (never the user's ~/.pm2). `pm2 start`
 * launches the God daemon, which outlives the CLI: the daemon is the manager process, its
 * children the apps (run as `commandArgv` says).
 */
export class Pm2Manager extends Manager {
  constructor(dir) {
    super("pm2", dir);
    this.home = path.join(dir, "pm2home");
    this.env = { ...process.env, PM2_HOME: this.home };
    this.removeHook = undefined;
  }

  ecosystem(children) {
    const logs = path.join(this.dir, "pm2-logs");
    return {
      apps: children.map((c) => ({
        name: c.id,
        script: commandArgv(c.cmd)[0],
        args: commandArgv(c.cmd).slice(1),
        interpreter: "none",
        cwd: this.dir,
        autorestart: c.restart,
        restart_delay: 0,
        // Never give up on a crashing child (PM2's default stops after 16 quick restarts).
        min_uptime: 0,
        max_restarts: 1_000_000,
        out_file: c.logFile ?? path.join(logs, `${c.id}.out.log`),
        error_file: c.logFile ?? path.join(logs, `${c.id}.err.log`),
        pid_file: path.join(logs, `${c.id}.pid`),
      })),
    };
  }

  async launch(children) {
    mkdirSync(this.home, { recursive: true });
    const file = path.join(this.dir, "ecosystem.json");
    writeFileSync(file, JSON.stringify(this.ecosystem(children), null, 2));
    // Registered before launching: `pm2 kill` with this PM2_HOME ends the daemon and its apps.
    this.removeHook = addHook(() => this.killSync());
    const out = this.outputFd();
    this.cli = spawnGroup(PM2_BIN, ["start", file], {
      cwd: this.dir,
      env: this.env,
      stdio: ["ignore", out, out],
    });
  }

  daemonPid() {
    if (this.daemon && isAlive(this.daemon)) return this.daemon;
    const file = path.join(this.home, "pm2.pid");
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, "utf8").trim());
    if (pid > 0 && isAlive(pid)) this.daemon = pid;
    return this.daemon;
  }

  mainPid() {
    return this.daemonPid();
  }

  roots() {
    const pid = this.daemonPid();
    return pid ? [pid] : [];
  }

  managerPids() {
    return this.roots();
  }

  /** Waits for the `pm2 start` CLI to have returned too, so it never counts as the manager. */
  async waitAllRunning(n, comm, timeoutMs) {
    const ms = await super.waitAllRunning(n, comm, timeoutMs);
    await waitFor(() => this.cli.exitCode !== null || this.cli.signalCode !== null, {
      timeoutMs: 30_000,
      what: "pm2 start to return",
    });
    return ms;
  }

  async statusCli() {
    const result = await runTimed(PM2_BIN, ["jlist"], { cwd: this.dir, env: this.env });
    if (result.code !== 0) throw new Error(`pm2 jlist failed: ${result.stderr.trim()}`);
    return result.ms;
  }

  /** The daemon's own stop path (gracefullExit: deletes every app, then exits), as SIGTERM to pup. */
  async sendStop() {
    process.kill(this.daemonPid(), "SIGTERM");
  }

  killSync() {
    try {
      execFileSync(PM2_BIN, ["kill"], { env: this.env, stdio: "ignore", timeout: 30_000 });
    } catch {}
    const pid = this.daemon;
    if (pid && isAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }

  async cleanup() {
    if (!this.cli) return;
    // `pm2 kill` deletes the apps one by one (seconds for 100): freeze and kill instead, then let
    // `pm2 kill` find nothing. The hook stays registered until then, for a bench that dies first.
    if (this.daemonPid()) this.forceStop();
    this.removeHook?.();
    killGroup(this.cli.pid);
    forgetGroup(this.cli.pid);
    this.cli = undefined;
  }
}
