import { openSync } from "node:fs";
import path from "node:path";
import { killGroup, killProcesses, leftovers, trackProcess } from "../lib/cleanup.js";
import {
  cpuPercent,
  descendants,
  isAlive,
  listProcesses,
  readCmdline,
  readStat,
  rssOf,
  sleep,
  waitFor,
} from "../lib/procfs.js";

/**
 * What every manager adapter offers, so that a workload runs the same steps under each:
 *   start(children)        write the manager's configuration for `children` and launch it
 *   waitAllRunning(n, comm)  ms from launch until n descendants named `comm` run
 *   rss(), cpu(ms)         of the manager's own processes (never the children)
 *   statusCli()            ms of one status command round trip, or undefined if there is none
 *   terminate()            stop signal → ms until the children are gone, orphans left
 *   cleanup()              end everything, whatever state it is in (idempotent)
 *
 * A child is `{ id, cmd, restart, logFile? }`: `cmd` is a shell command line, `restart` whether
 * to restart it (immediately) whenever it exits, `logFile` where its stdout+stderr go.
 * Subclasses provide launch(), managerPids(), sendStop() and cleanup(), and statusCli() where the
 * manager has a status command; mainPid() and roots() (the processes the children hang below)
 * default to the foreground process in `this.proc`, as pup and supervisord run.
 */
export class Manager {
  constructor(name, dir) {
    this.name = name;
    this.dir = dir;
    this.launchedAt = undefined;
    /** Every child pid seen, so that dispose() can end whatever the manager left behind. */
    this.seen = new Set();
  }

  mainPid() {
    return this.proc?.pid;
  }

  roots() {
    return this.proc && isAlive(this.proc.pid) ? [this.proc.pid] : [];
  }

  /** File for the manager's own stdout/stderr, kept in the temp folder for debugging. */
  outputFd() {
    return openSync(path.join(this.dir, `${this.name}.console.log`), "a");
  }

  async start(children) {
    this.children = children;
    this.launchedAt = performance.now();
    await this.launch(children);
  }

  /** The managed processes: everything below roots() that is not the manager itself. */
  childProcesses(procs = listProcesses()) {
    const own = new Set(this.managerPids(procs));
    const kids = descendants(this.roots(procs), procs).filter((p) => !own.has(p.pid));
    for (const p of kids) {
      if (this.seen.has(p.pid)) continue;
      this.seen.add(p.pid);
      trackProcess(p.pid);
    }
    return kids;
  }

  countRunning(comm, procs) {
    return this.childProcesses(procs).filter((p) => p.comm === comm).length;
  }

  async waitAllRunning(n, comm = "sleep", timeoutMs = 60_000) {
    await waitFor(() => this.roots().length > 0 && this.countRunning(comm) >= n, {
      timeoutMs,
      intervalMs: 5,
      what: `${n} ${comm} children of ${this.name}`,
    });
    return performance.now() - this.launchedAt;
  }

  rss() {
    return rssOf(this.managerPids());
  }

  cpu(ms) {
    return cpuPercent(() => this.managerPids(), ms);
  }

  async statusCli() {
    return undefined;
  }

  /** cleanup(), then SIGKILL for any child of this manager still alive; returns those ("pid comm args"). */
  async dispose() {
    await this.cleanup();
    // Children killed by cleanup() take a moment to be gone: only report those that stay.
    for (let i = 0; i < 20 && leftovers([...this.seen]).length > 0; i++) await sleep(50);
    const left = leftovers([...this.seen]);
    const described = left.map((pid) => `${pid} ${readCmdline(pid).join(" ") || readStat(pid)?.comm}`);
    killProcesses(left);
    return described;
  }

  /**
   * Ends the manager without waiting for its own (slow, for some) shutdown: freeze it so it spawns
   * nothing more, note its children, then SIGKILL it and them. For cleanup, never for a figure.
   */
  forceStop() {
    const own = this.managerPids();
    for (const pid of own) killProcesses([pid], "SIGSTOP", true);
    this.childProcesses();
    for (const pid of own) {
      killProcesses([pid], "SIGKILL", true);
      killGroup(pid);
    }
    killProcesses(leftovers([...this.seen]));
  }

  /** Sends the manager its stop signal; measures until every child is gone and the manager exited. */
  async terminate({ timeoutMs = 60_000 } = {}) {
    const kids = this.childProcesses().map((p) => p.pid);
    const main = this.mainPid();
    const t0 = performance.now();
    await this.sendStop();
    let childrenGoneMs;
    let exitedAt;
    while (performance.now() - t0 < timeoutMs) {
      const now = performance.now();
      if (childrenGoneMs === undefined && leftovers(kids).length === 0) childrenGoneMs = now - t0;
      if (exitedAt === undefined && !isAlive(main)) exitedAt = now;
      if (childrenGoneMs !== undefined && exitedAt !== undefined) break;
      // Children still there a second after the manager exited are orphans.
      if (exitedAt !== undefined && now - exitedAt > 1000) break;
      await sleep(2);
    }
    return {
      childrenGoneMs,
      managerExitMs: exitedAt === undefined ? undefined : exitedAt - t0,
      orphans: leftovers(kids).length,
      children: kids.length,
    };
  }
}
