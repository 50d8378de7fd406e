/** What the page receives from the API (SPEC §3, §5, §8.1–8.2), as far as it shows it. */

export interface ProcessStatus {
  id: string;
  type: "process" | "worker" | "cluster";
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
  /** ISO time of a pending automatic restart (§8.2). */
  nextRestart?: string;
  /** Absent without a healthcheck or when not running (§8.1). */
  health?: "starting" | "healthy" | "unhealthy";
  cpu?: number;
  rss?: number;
  /** A cluster instance's open connections through its load balancer (from the state's `balancers`). */
  connections?: number;
}

export interface ProcessEntry {
  status: ProcessStatus;
  config: { id: string; cron?: string; cluster?: { instances?: number }; [key: string]: unknown };
}

export interface InstanceState {
  pid: number;
  version: string;
  started: string;
  updated: string;
  memory: { rss: number };
  loadAvg: number[];
  systemMemory?: { total: number; available: number };
  processes: ProcessStatus[];
  /** The load balancers of clusters with a commonPort: each instance's connections. */
  balancers?: Array<{ process: string; backends: Array<{ name: string; open: number }> }>;
}

export interface LogEntry {
  severity: "log" | "info" | "warn" | "error";
  category: string;
  text: string;
  processId: string;
  timeStamp: number;
}

/** One message of the event stream (`GET /wss`). */
export interface StreamMessage {
  t: string;
  d: unknown;
}
