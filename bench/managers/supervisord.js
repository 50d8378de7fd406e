import { writeFileSync } from "node:fs";
import path from "node:path";
import { forgetGroup, killGroup, spawnGroup } from "../lib/cleanup.js";
import { commandArgv } from "../lib/command.js";
import { isAlive } from "../lib/procfs.js";
import { runTimed } from "../lib/run-command.js";
import { Manager } from "./manager.js";

/** supervisord's config values are %-interpolated and its command line is split like a shell's. */
function quoteCommand(cmd) {
  const quoted = commandArgv(cmd).map((arg) =>
    /^[\w@+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/["\\]/g, "\\$&")}"`,
  );
  return quoted.join(" ").replace(/%/g, "%%");
}

/**
 * supervisord in the foreground (`-n`), one python process, with its socket, pid file and logs in
 * the temp folder; `supervisorctl -c` talks to that socket only, never the system's.
 */
export class SupervisordManager extends Manager {
  constructor(dir, bins) {
    super("supervisord", dir);
    this.bins = bins;
    this.conf = path.join(dir, "supervisord.conf");
  }

  config(children) {
    const d = this.dir;
    const lines = [
      "[unix_http_server]",
      `file=${path.join(d, "supervisor.sock")}`,
      "[supervisord]",
      `logfile=${path.join(d, "supervisord.log")}`,
      `pidfile=${path.join(d, "supervisord.pid")}`,
      `childlogdir=${d}`,
      "nodaemon=true",
      "[rpcinterface:supervisor]",
      "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
      "[supervisorctl]",
      `serverurl=unix://${path.join(d, "supervisor.sock")}`,
    ];
    for (const c of children) {
      lines.push(
        `[program:${c.id}]`,
        `command=${quoteCommand(c.cmd)}`,
        `directory=${d}`,
        "autostart=true",
        `autorestart=${c.restart ? "true" : "false"}`,
        // RUNNING as soon as spawned, and never give up on a crashing child.
        "startsecs=0",
        "startretries=1000000",
        "redirect_stderr=true",
        ...(c.logFile ? [`stdout_logfile=${c.logFile}`, "stdout_logfile_maxbytes=0"] : []),
      );
    }
    return `${lines.join("\n")}\n`;
  }

  async launch(children) {
    writeFileSync(this.conf, this.config(children));
    const out = this.outputFd();
    this.proc = spawnGroup(this.bins.daemon, ["-n", "-c", this.conf], {
      cwd: this.dir,
      stdio: ["ignore", out, out],
    });
  }

  managerPids() {
    return this.roots();
  }

  async statusCli() {
    const result = await runTimed(this.bins.ctl, ["-c", this.conf, "status"], { cwd: this.dir });
    // Exit 3 means "some process is not running", still a full round trip.
    if (result.code !== 0 && result.code !== 3) throw new Error(`supervisorctl failed: ${result.stdout}`);
    return result.ms;
  }

  async sendStop() {
    process.kill(this.proc.pid, "SIGTERM");
  }

  async cleanup() {
    if (!this.proc) return;
    const pid = this.proc.pid;
    // supervisord's own stop takes about a second per child in turn: not worth waiting for here.
    if (isAlive(pid)) this.forceStop();
    killGroup(pid);
    forgetGroup(pid);
    this.proc = undefined;
  }
}
