import type { LogEntry } from "./entry.ts";
import { type LogQuery, type LogReader, matches } from "./query.ts";
import type { LogSink } from "./sink.ts";

/**
 * The newest entries kept in memory, for when the log store is disabled
 * (`internalLogHours: 0`) or not (yet) available.
 */
export class MemoryLog implements LogSink, LogReader {
  private readonly entries: LogEntry[] = [];
  private head = 0;

  constructor(private readonly capacity = 10_000) {}

  write(entry: LogEntry): boolean {
    if (this.entries.length < this.capacity) this.entries.push(entry);
    else {
      this.entries[this.head] = entry;
      this.head = (this.head + 1) % this.capacity;
    }
    return true;
  }

  query(q: LogQuery): LogEntry[] {
    const ordered = [...this.entries.slice(this.head), ...this.entries.slice(0, this.head)];
    const found = ordered.filter((e) => matches(e, q));
    return found.slice(Math.max(0, found.length - (q.limit ?? 100)));
  }

  async drained(): Promise<void> {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
