import { readdirSync } from "node:fs";
import { procStat } from "../common/proc-stat.ts";

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
    const stat = procStat(name);
    if (stat?.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") return true;
  }
  return false;
}
