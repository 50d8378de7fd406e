import type { LogEntry } from "../logs/entry.ts";
import type { LogSink } from "../logs/sink.ts";

/**
 * Log entries written, by severity, from the instance's start: GET /metrics reports them, and the
 * metrics themselves are only loaded with the API's first request. A sink rather than a `log`
 * listener, so that a burst of a child's lines costs one addition, not an entry per line.
 */
export class LogEntryCount implements LogSink {
  readonly bySeverity = new Map<string, number>();

  write(entry: LogEntry): boolean {
    this.add(entry.severity, 1);
    return true;
  }

  writeLines(lines: { severity: string; count: number }): boolean {
    this.add(lines.severity, lines.count);
    return true;
  }

  private add(severity: string, n: number): void {
    this.bySeverity.set(severity, (this.bySeverity.get(severity) ?? 0) + n);
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
