import { readdirSync, readFileSync } from "node:fs";

/** Send `signal` to every process of group `pgid`. False when the group is gone (or not ours). */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any process of group `pgid` still runs. A member that has exited but was not reaped
 * (a zombie, whose parent — often init in a container — has not waited for it yet) does not
 * count: it holds no port, no file and no memory, and no signal can end it.
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true; // no /proc: trust kill(2)
  }
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …"; comm may hold anything, so fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ", 3);
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}
