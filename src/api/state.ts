import { readFileSync } from "node:fs";
import os from "node:os";
import type { BalancerStats } from "../balancer/view.ts";
import type { CoreFacade } from "../core/facade.ts";
import type { ProcessInfo } from "../core/types.ts";
import type { LoggingHealth } from "../logs/logger.ts";
import { VERSION } from "../version.ts";

export interface SystemMemory {
  total: number;
  free: number;
  available: number;
  buffers: number;
  cached: number;
  swapTotal: number;
  swapFree: number;
}

/** The state object of GET /state, `pup status --json` and the event stream. */
export interface ApplicationState {
  pid: number;
  version: string;
  status: "RUNNING";
  updated: string;
  started: string;
  memory: { rss: number; heapTotal: number; heapUsed: number; external: number };
  port: number;
  systemMemory: SystemMemory;
  loadAvg: number[];
  osUptime: number;
  osRelease: string;
  runtime: string;
  type: "main";
  processes: ProcessInfo[];
  /** The load balancers of clusters with a `commonPort` (absent when there are none). */
  balancers?: BalancerStats[];
  /** How the log store and the log files are doing (a failure, entries dropped). */
  logging?: LoggingHealth;
}

const MEMINFO_KEYS: Record<string, keyof SystemMemory> = {
  MemTotal: "total",
  MemFree: "free",
  MemAvailable: "available",
  Buffers: "buffers",
  Cached: "cached",
  SwapTotal: "swapTotal",
  SwapFree: "swapFree",
};

/** Parse /proc/meminfo text (values in kB) into bytes. */
function parseMeminfo(text: string): Partial<SystemMemory> {
  const memory: Partial<SystemMemory> = {};
  for (const line of text.split("\n")) {
    const match = /^(\w+):\s+(\d+)\s*kB/.exec(line);
    const key = match && MEMINFO_KEYS[match[1]];
    if (key) memory[key] = Number(match[2]) * 1024;
  }
  return memory;
}

export function systemMemory(): SystemMemory {
  let fromProc: Partial<SystemMemory> = {};
  try {
    fromProc = parseMeminfo(readFileSync("/proc/meminfo", "utf8"));
  } catch {
    // not Linux: what os can tell
  }
  const free = os.freemem();
  return {
    total: os.totalmem(),
    free,
    available: free,
    buffers: 0,
    cached: 0,
    swapTotal: 0,
    swapFree: 0,
    ...fromProc,
  };
}

export function applicationState(
  supervisor: CoreFacade,
  startedAt: Date,
  port: number,
  balancers: BalancerStats[] = [],
  logging?: LoggingHealth,
): ApplicationState {
  const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
  const state: ApplicationState = {
    pid: process.pid,
    version: VERSION,
    status: "RUNNING",
    updated: new Date().toISOString(),
    started: startedAt.toISOString(),
    memory: { rss, heapTotal, heapUsed, external },
    port,
    systemMemory: systemMemory(),
    loadAvg: os.loadavg(),
    osUptime: os.uptime(),
    osRelease: os.release(),
    runtime: `Node.js ${process.version}`,
    type: "main",
    processes: supervisor.list().map((e) => e.status),
    logging,
  };
  if (balancers.length > 0) state.balancers = balancers;
  return state;
}
