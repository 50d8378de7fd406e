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

/**
 * A passing state of a line that a child redraws with "\r" (a progress bar), sent to live
 * subscribers (`log` events, at most ten a second per stream) and never stored: the line's final
 * state follows as an ordinary entry, which replaces it.
 */
export type LineUpdate = LogEntry & { partial: true };

export function isSeverity(value: unknown): value is Severity {
  return typeof value === "string" && (SEVERITIES as readonly string[]).includes(value);
}

/**
 * Consecutive lines of one process's stream that arrived together (one read of its pipe): they
 * share severity, category, process and time, and travel as the bytes they came in. Sinks that
 * can write them whole (files, the store) skip making an entry per line.
 */
export interface LogLines {
  severity: Severity;
  category: string;
  processId: string;
  timeStamp: number;
  /** The lines as UTF-8, each ending in "\n"; no line has another "\n" inside. */
  bytes: Buffer;
  /** How many lines. */
  count: number;
}

/** The texts of the lines, in order. */
export function splitLines(lines: LogLines): string[] {
  const texts = lines.bytes.toString("utf8").split("\n");
  texts.pop();
  return texts;
}

/** One entry per line, for sinks and subscribers that take entries. */
export function toEntries(lines: LogLines): LogEntry[] {
  const { severity, category, processId, timeStamp } = lines;
  return splitLines(lines).map((text) => ({ severity, category, text, processId, timeStamp }));
}
