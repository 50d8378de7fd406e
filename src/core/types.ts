import type { ProcessConfig } from "../config/schema.ts";
import type { LogEntry } from "../logs/entry.ts";
import type { Health } from "./health.ts";

export type ProcessType = "process" | "worker" | "cluster";

/** What the API calls `status`: one process, worker, cluster or cluster instance. */
export interface ProcessInfo {
  id: string;
  type: ProcessType;
  status: number;
  code?: number;
  signal?: string;
  pid?: number;
  started?: string;
  exited?: string;
  blocked: boolean;
  restarts: number;
  updated: string;
  pendingRestartReason?: string;
  /** ISO time of the pending automatic restart. */
  nextRestart?: string;
  /** With a healthcheck, while running (SPEC §8.1). */
  health?: Health;
  telemetry?: Telemetry;
  /** Percent of one core, the process and all its descendants. */
  cpu?: number;
  /** Resident memory in bytes, the process and all its descendants. */
  rss?: number;
}

export interface Telemetry {
  sender: string;
  memory: unknown;
  sent: string;
  cwd: string;
  [key: string]: unknown;
}

export interface ProcessEntry {
  status: ProcessInfo;
  config: ProcessConfig;
}

/** Events of the supervising core, with the data the event stream sends for each. */
export interface CoreEvents {
  process_status_changed: [{ old: number; new: number; status: ProcessInfo }];
  process_scheduled: [{ id: string; nextRun: string | null }];
  process_scheduled_terminate: [{ id: string; nextRun: string | null }];
  process_watch: [{ id: string; path: string }];
  process_telemetry: [Telemetry];
  process_health_changed: [{ id: string; old: Health | null; new: Health; reason: string }];
  log: [LogEntry];
  terminating: [{ reason: string }];
  config_reloaded: [
    { added: string[]; removed: string[]; changed: string[]; unchanged: string[]; notApplied: string[] },
  ];
  ipc: [{ sender: string; target: string; event: string; eventData: unknown }];
}
