import { readdirSync, readFileSync } from "node:fs";

/** CPU (percent of one core) and resident memory (bytes) of one process group. */
export interface GroupUsage {
  cpu: number;
  rss: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux
const PAGE_SIZE = 4096;

interface GroupTotals {
  ticks: number;
  rssPages: number;
}

/**
 * Reads /proc once per sample and sums every process by its process group, so a child's
 * descendants (which stay in its group) are included. Linux only; elsewhere it reports nothing.
 */
export class ResourceSampler {
  private previous = new Map<number, { ticks: number; at: number }>();

  /** Usage of the given process groups since the previous sample. */
  sample(groups: ReadonlySet<number>): Map<number, GroupUsage> {
    const totals = this.readGroups(groups);
    const now = performance.now();
    const usage = new Map<number, GroupUsage>();
    const next = new Map<number, { ticks: number; at: number }>();
    for (const [pgid, total] of totals) {
      const before = this.previous.get(pgid);
      let cpu = 0;
      if (before && now > before.at) {
        const seconds = (now - before.at) / 1000;
        cpu = Math.max(0, ((total.ticks - before.ticks) / CLOCK_TICKS / seconds) * 100);
      }
      usage.set(pgid, { cpu: Math.round(cpu * 10) / 10, rss: total.rssPages * PAGE_SIZE });
      next.set(pgid, { ticks: total.ticks, at: now });
    }
    this.previous = next;
    return usage;
  }

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
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, "latin1");
      } catch {
        continue;
      }
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pgrp = Number(fields[2]);
      if (!groups.has(pgrp)) continue;
      const total = totals.get(pgrp) ?? { ticks: 0, rssPages: 0 };
      total.ticks += Number(fields[11]) + Number(fields[12]);
      total.rssPages += Number(fields[21]);
      totals.set(pgrp, total);
    }
    return totals;
  }
}
