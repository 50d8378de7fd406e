import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ and the page size on Linux (x86-64 and arm64). */
export const CLOCK_TICKS = 100;
export const PAGE_SIZE = 4096;

/**
 * One line of /proc/<pid>/stat: the fields the harness needs. Undefined when the process is gone.
 * `ticks` is user + system CPU time, `start` the start time in ticks since boot (with the pid it
 * names a process unambiguously, so a reused pid is never mistaken for ours).
 */
export function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const f = text.slice(close + 2).split(" ");
  return {
    pid: Number(pid),
    comm,
    state: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    ticks: Number(f[11]) + Number(f[12]),
    start: Number(f[19]),
    rss: Number(f[21]) * PAGE_SIZE,
  };
}

export function readCmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** Every live process (zombies excluded). */
export function listProcesses() {
  const out = [];
  for (const name of readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const stat = readStat(name);
    if (stat && stat.state !== "Z") out.push(stat);
  }
  return out;
}

/** The processes below `roots` (not the roots themselves), from one /proc snapshot. */
export function descendants(roots, procs = listProcesses()) {
  const children = new Map();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const found = [];
  const queue = [...roots];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

export function isAlive(pid, start) {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== "Z" && (start === undefined || stat.start === start);
}

/** Sum of RSS in bytes over the given pids. */
export function rssOf(pids) {
  let total = 0;
  for (const pid of pids) total += readStat(pid)?.rss ?? 0;
  return total;
}

export function ticksOf(pids) {
  let total = 0;
  for (const pid of pids) total += readStat(pid)?.ticks ?? 0;
  return total;
}

/**
 * CPU time in ns of the processes, summed over their threads from /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds, where stat's ticks are 10 ms: 0.1 % of a 10 s window). Falls back to the ticks
 * when the kernel has no schedstat.
 */
export function cpuNsOf(pids) {
  let total = 0;
  for (const pid of pids) {
    let tasks;
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1").split(" ")[0]);
      } catch {
        return ticksOf(pids) * (1e9 / CLOCK_TICKS);
      }
    }
  }
  return total;
}

/** CPU (percent of one core) used by `pids()` over `ms`. */
export async function cpuPercent(pids, ms) {
  const before = cpuNsOf(pids());
  const t0 = performance.now();
  await sleep(ms);
  const after = cpuNsOf(pids());
  const seconds = (performance.now() - t0) / 1000;
  return ((after - before) / 1e9 / seconds) * 100;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function waitFor(check, { timeoutMs = 30_000, intervalMs = 10, what = "condition" } = {}) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
