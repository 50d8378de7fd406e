import type { LogEntry, LogLines } from "./entry.ts";
import type { SinkHealth } from "./sink-fault.ts";

/**
 * Where log entries go: the console, files, the log store. `write` returns false when the sink's
 * backlog is over its high-water mark; producers that can wait (a child's pipe) then pause until
 * `drained()` resolves, so nothing is dropped and memory stays bounded.
 */
export interface LogSink {
  write(entry: LogEntry): boolean;
  /** Lines of one read of a child's pipe, whole; a sink without it gets one `write` per line. */
  writeLines?(lines: LogLines): boolean;
  drained(): Promise<void>;
  /** Write out everything accepted so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** How the files it writes are doing (sinks that write files). */
  health?(): SinkHealth[];
}
