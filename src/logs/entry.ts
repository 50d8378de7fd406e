export const SEVERITIES = ["log", "info", "warn", "error"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One log line, as stored, streamed and returned by the API. */
export interface LogEntry {
  severity: Severity;
  category: string;
  text: string;
  /** The process's id, or "core" for the instance itself. */
  processId: string;
  /** Milliseconds since the epoch. */
  timeStamp: number;
}

export const CORE_PROCESS_ID = "core";

export function isSeverity(value: unknown): value is Severity {
  return typeof value === "string" && (SEVERITIES as readonly string[]).includes(value);
}
