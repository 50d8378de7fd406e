import type { LogEntry, Severity } from "./entry.ts";

/** A filtered read of stored entries: the newest `limit` that match, returned oldest first. */
export interface LogQuery {
  processId?: string;
  severity?: Severity;
  /** ms since the epoch, inclusive. */
  start?: number;
  /** ms since the epoch, inclusive. */
  end?: number;
  /** Default 100. */
  limit?: number;
  /**
   * The answer's text at most (UTF-8 bytes; the newest entries are kept): a `GET /logs` of
   * 10 000 lines of 64 KiB is not 640 MB. Default DEFAULT_ANSWER_BYTES.
   */
  maxBytes?: number;
}

/** Text a query answers at most by default: 16 MiB. */
export const DEFAULT_ANSWER_BYTES = 16 * 1024 * 1024;

/** What `GET /logs`, `pup logs` and plugins read entries through. */
export interface LogReader {
  query(query: LogQuery): LogEntry[] | Promise<LogEntry[]>;
}

export function matches(entry: LogEntry, q: LogQuery): boolean {
  return (
    (q.processId === undefined || entry.processId === q.processId) &&
    (q.severity === undefined || entry.severity === q.severity) &&
    (q.start === undefined || entry.timeStamp >= q.start) &&
    (q.end === undefined || entry.timeStamp <= q.end)
  );
}
