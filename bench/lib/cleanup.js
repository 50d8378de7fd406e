import { spawn } from "node:child_process";
import { isAlive, readStat } from "./procfs.js";

/**
 * Everything the harness starts is recorded here so that it is ended even when a workload throws
 * or the harness is interrupted: process groups it created (each manager is spawned as the leader
 * of a new group), single processes by pid + start time (the managers' children, which live in
 * groups of their own), and synchronous hooks (`pm2 kill` with the bench's PM2_HOME).
 * Nothing is ever killed by name.
 */
const groups = new Set();
const processes = new Map();
const hooks = new Set();

/** Spawn `file` as the leader of a new process group that `killEverything` will end. */
export function spawnGroup(file, args, options = {}) {
  const child = spawn(file, args, { stdio: "ignore", ...options, detached: true });
  if (child.pid !== undefined) groups.add(child.pid);
  child.on("error", () => {});
  return child;
}

export function forgetGroup(pgid) {
  groups.delete(pgid);
}

/** Remember a process (a manager's child) to SIGKILL at the end if it is still there. */
export function trackProcess(pid) {
  const stat = readStat(pid);
  if (stat) processes.set(pid, stat.start);
}

/** Processes recorded with `trackProcess` that are still alive. */
export function leftovers(pids = [...processes.keys()]) {
  return pids.filter((pid) => processes.has(pid) && isAlive(pid, processes.get(pid)));
}

/** Signals processes recorded with `trackProcess` (or any live pid, with `untracked`). */
export function killProcesses(pids, signal = "SIGKILL", untracked = false) {
  for (const pid of pids) {
    if (!untracked && !processes.has(pid)) continue;
    if (!isAlive(pid, processes.get(pid))) continue;
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

export function killGroup(pgid, signal = "SIGKILL") {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function addHook(fn) {
  hooks.add(fn);
  return () => hooks.delete(fn);
}

/** Synchronous, so that it also works from process.on("exit"). */
export function killEverything() {
  for (const hook of hooks) {
    try {
      hook();
    } catch {}
  }
  hooks.clear();
  for (const pgid of groups) killGroup(pgid);
  groups.clear();
  killProcesses([...processes.keys()]);
  processes.clear();
}

let installed = false;
export function installExitHandlers() {
  if (installed) return;
  installed = true;
  process.on("exit", killEverything);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      process.stderr.write(`bench: ${signal}, cleaning up\n`);
      killEverything();
      process.exit(130);
    });
  }
}
