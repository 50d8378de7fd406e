import { EventEmitter } from "node:events";
import {
  CORE_PROCESS_ID,
  type LineUpdate,
  type LogEntry,
  type LogLines,
  type Severity,
  toEntries,
} from "./entry.ts";
import type { LogSink } from "./sink.ts";
import type { SinkHealth } from "./sink-fault.ts";

export interface LoggerEvents {
  /**
   * Every entry, one at a time: a listener makes the logger build an entry per line of a burst.
   * Also the passing states of a line being redrawn, marked `partial` (see `update`).
   */
  log: [LogEntry | LineUpdate];
}

/** How the instance's logging is doing: `logging` of `GET /state`. */
export interface LoggingHealth {
  /** The log store; absent when there is none (`internalLogHours: 0`, or it could not be opened). */
  store?: SinkHealth;
  files: SinkHealth[];
}

/**
 * Fans entries out to the sinks and to live subscribers (`log` events). The one way anything in
 * pup writes a log line.
 */
export class Logger extends EventEmitter<LoggerEvents> {
  private readonly sinks: LogSink[] = [];
  private now: () => number = Date.now;

  addSink(sink: LogSink): void {
    this.sinks.push(sink);
  }

  removeSink(sink: LogSink): void {
    const i = this.sinks.indexOf(sink);
    if (i !== -1) this.sinks.splice(i, 1);
  }

  health(): LoggingHealth {
    const all = this.sinks.flatMap((s) => s.health?.() ?? []);
    return { store: all.find((h) => h.sink === "store"), files: all.filter((h) => h.sink === "file") };
  }

  /** Record an entry. Returns false when a sink asks its producer to wait for `drained()`. */
  write(entry: LogEntry): boolean {
    let ok = true;
    for (const sink of this.sinks) {
      if (!sink.write(entry)) ok = false;
    }
    if (this.listenerCount("log") > 0) this.emit("log", entry);
    return ok;
  }

  /**
   * Record lines read together from a child (the fast path of a burst: sinks that can take them
   * whole never see one entry per line). Returns false as `write` does.
   */
  writeLines(lines: LogLines): boolean {
    let ok = true;
    let entries: LogEntry[] | undefined;
    for (const sink of this.sinks) {
      if (sink.writeLines) {
        if (!sink.writeLines(lines)) ok = false;
        continue;
      }
      entries ??= toEntries(lines);
      for (const entry of entries) if (!sink.write(entry)) ok = false;
    }
    if (this.listenerCount("log") > 0) {
      entries ??= toEntries(lines);
      for (const entry of entries) this.emit("log", entry);
    }
    return ok;
  }

  /**
   * The current state of a child's line that is being redrawn with "\r" (a progress bar): for
   * live subscribers only, as a `log` event marked `partial: true`; nothing is stored. The line's
   * final state comes later as an ordinary entry.
   */
  update(entry: LogEntry): void {
    if (this.listenerCount("log") > 0) this.emit("log", { ...entry, partial: true });
  }

  /** Convenience for the instance's own messages and those about a process. */
  log(severity: Severity, category: string, text: string, processId: string = CORE_PROCESS_ID): void {
    this.write({ severity, category, text, processId, timeStamp: this.now() });
  }

  async drained(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.drained()));
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
    this.sinks.length = 0;
  }
}

/** A log function bound to one process, the narrow thing a runner or a process needs. */
export type ProcessLog = (severity: Severity, category: string, text: string) => void;

export function processLog(logger: Logger, processId: string): ProcessLog {
  return (severity, category, text) => logger.log(severity, category, text, processId);
}
