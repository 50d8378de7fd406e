import { type LogEntry, type LogLines, toEntries } from "./entry.ts";
import { type LogQuery, type LogReader, matches } from "./query.ts";
import type { LogSink } from "./sink.ts";

/**
 * The newest entries kept in memory, for when the log store is not (yet) available (it could not
 * be opened, or is being replaced): at most `capacity` entries, and text of at most
 * `maxBytes` beyond the newest item. Lines read together are kept as they came (a burst costs
 * nothing per line) and made into entries only by a query.
 */
export class MemoryLog implements LogSink, LogReader {
  private items: Array<LogEntry | LogLines> = [];
  private head = 0;
  /** Entries, and bytes (or UTF-16 units) of text, in items[head…]. */
  private held = 0;
  private heldBytes = 0;

  constructor(
    private readonly capacity = 10_000,
    private readonly maxBytes = 4 * 1024 * 1024,
  ) {}

  write(entry: LogEntry): boolean {
    this.keep(entry);
    return true;
  }

  writeLines(lines: LogLines): boolean {
    if (lines.count > 0) this.keep(lines);
    return true;
  }

  private keep(item: LogEntry | LogLines): void {
    this.items.push(item);
    this.held += count(item);
    this.heldBytes += size(item);
    // Drop the oldest items while the rest still hold `capacity` entries, or over `maxBytes`.
    for (;;) {
      const oldest = this.items[this.head];
      if (oldest === item) break;
      if (this.held - count(oldest) < this.capacity && this.heldBytes <= this.maxBytes) break;
      this.held -= count(oldest);
      this.heldBytes -= size(oldest);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  query(q: LogQuery): LogEntry[] {
    const all: LogEntry[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i];
      if ("bytes" in item) all.push(...toEntries(item));
      else all.push(item);
    }
    const found = all.slice(Math.max(0, all.length - this.capacity)).filter((e) => matches(e, q));
    return found.slice(Math.max(0, found.length - (q.limit ?? 100)));
  }

  async drained(): Promise<void> {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

function count(item: LogEntry | LogLines): number {
  return "bytes" in item ? item.count : 1;
}

function size(item: LogEntry | LogLines): number {
  return "bytes" in item ? item.bytes.length : item.text.length;
}
