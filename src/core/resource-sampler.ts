import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";

/** CPU (percent of one core) and resident memory (bytes) of one process group. */
export interface GroupUsage {
  cpu: number;
  rss: number;
  /** CPU seconds the group used since the previous sample (first sample: since it started). */
  cpuSeconds: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux
const PAGE_SIZE = 4096;

interface GroupTotals {
  ticks: number;
  rssPages: number;
  /** When the group's leader started, in clock ticks after boot (0 when the leader is gone). */
  leaderStart: number;
}

/**
 * Reads /proc once per sample and sums every process by its process group, so a child's
 * descendants (which stay in its group) are included. Linux only; elsewhere it reports nothing.
 */
export class ResourceSampler {
  private previous = new Map<number, { ticks: number; at: number }>();

  /**
   * Usage of the given process groups since the previous sample; for a group seen for the first
   * time, over its leader's lifetime (as `ps` does).
   */
  sample(groups: ReadonlySet<number>): Map<number, GroupUsage> {
    const totals = this.readGroups(groups);
    const now = performance.now();
    const usage = new Map<number, GroupUsage>();
    const next = new Map<number, { ticks: number; at: number }>();
    let uptime: number | undefined;
    for (const [pgid, total] of totals) {
      const before = this.previous.get(pgid);
      let cpu = 0;
      const cpuSeconds = Math.max(0, total.ticks - (before?.ticks ?? 0)) / CLOCK_TICKS;
      if (before && now > before.at) {
        const seconds = (now - before.at) / 1000;
        cpu = Math.max(0, ((total.ticks - before.ticks) / CLOCK_TICKS / seconds) * 100);
      } else if (!before && total.leaderStart > 0) {
        uptime ??= systemUptime();
        const seconds = uptime - total.leaderStart / CLOCK_TICKS;
        if (seconds > 0.05) cpu = Math.max(0, (total.ticks / CLOCK_TICKS / seconds) * 100);
      }
      usage.set(pgid, { cpu: Math.round(cpu * 10) / 10, rss: total.rssPages * PAGE_SIZE, cpuSeconds });
      next.set(pgid, { ticks: total.ticks, at: now });
    }
    this.previous = next;
    return usage;
  }

  /**
   * One pass over /proc. This runs every few seconds for as long as the instance lives, over every
   * process of the machine, so it avoids what readFileSync and split cost per entry: each stat
   * line is read into one reused buffer (open, read, close; no fstat, no second read for EOF) and
   * its numbers are parsed from the bytes, stopping at the process group for foreign processes.
   */
  private readGroups(groups: ReadonlySet<number>): Map<number, GroupTotals> {
    const totals = new Map<number, GroupTotals>();
    if (groups.size === 0) return totals;
    let entries: string[];
    try {
      entries = readdirSync("/proc");
    } catch {
      return totals;
    }
    for (const name of entries) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const length = readStat(name);
      if (length === 0) continue;
      const fields = parseStat(length, groups);
      if (!fields) continue;
      const total = totals.get(fields.pgrp) ?? { ticks: 0, rssPages: 0, leaderStart: 0 };
      total.ticks += fields.ticks;
      total.rssPages += fields.rssPages;
      if (Number(name) === fields.pgrp) total.leaderStart = fields.leaderStart;
      totals.set(fields.pgrp, total);
    }
    return totals;
  }
}

/** Seconds since boot, from /proc/uptime. */
function systemUptime(): number {
  try {
    return Number.parseFloat(readFileSync("/proc/uptime", "latin1"));
  } catch {
    return 0;
  }
}

/** A stat line is a few hundred bytes (the command name is at most 16). */
const statBuffer = Buffer.allocUnsafe(4096);

/** Reads /proc/<pid>/stat into statBuffer; 0 when the process is gone. */
function readStat(pid: string): number {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, "r");
  } catch {
    return 0;
  }
  try {
    return readSync(fd, statBuffer, 0, statBuffer.length, 0);
  } catch {
    return 0;
  } finally {
    closeSync(fd);
  }
}

// Positions after "pid (comm) ", counted from 0 = state: see proc(5).
const PGRP = 2;
const UTIME = 11;
const STIME = 12;
const START_TIME = 19;
const RSS = 21;

/** The fields of the stat line in statBuffer, or undefined when its group is not wanted. */
function parseStat(
  length: number,
  groups: ReadonlySet<number>,
): ({ pgrp: number } & GroupTotals) | undefined {
  // The command name may contain anything, even ") ": the fields start after the last ")".
  const close = statBuffer.lastIndexOf(0x29, length - 1);
  if (close < 0) return undefined;
  let field = 0;
  let value = 0;
  let pgrp = 0;
  let ticks = 0;
  let leaderStart = 0;
  for (let i = close + 2; i < length; i++) {
    const b = statBuffer[i];
    if (b === 0x20 || b === 0x0a) {
      if (field === PGRP) {
        if (!groups.has(value)) return undefined;
        pgrp = value;
      } else if (field === UTIME || field === STIME) {
        ticks += value;
      } else if (field === START_TIME) {
        leaderStart = value;
      } else if (field === RSS) {
        return { pgrp, ticks, rssPages: value, leaderStart };
      }
      field++;
      value = 0;
    } else if (b >= 0x30 && b <= 0x39) {
      value = value * 10 + (b - 0x30);
    }
  }
  return undefined;
}
