import { readFileSync } from "node:fs";

/** What pup reads of /proc/<pid>/stat (proc(5)): state, process group, start time in clock ticks. */
export interface ProcStat {
  state: string;
  pgrp: number;
  startTime: string;
}

/** The stat line of `pid`, or undefined when it is gone or there is no /proc. */
export function procStat(pid: number | string): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // The fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ", 20);
  return { state: fields[0], pgrp: Number(fields[2]), startTime: fields[19] };
}
