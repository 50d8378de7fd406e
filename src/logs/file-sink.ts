import path from "node:path";
import { type LogEntry, type LogLines, toEntries } from "./entry.ts";
import { FileAppender, type FileAppenderOptions } from "./file-appender.ts";
import { formatLine, isChildOutput } from "./format.ts";
import type { LogSink } from "./sink.ts";
import type { SinkHealth } from "./sink-fault.ts";

/** Where one scope (the instance, or one process) writes its entries. */
export interface FileRoute {
  stdout?: string;
  stderr?: string;
  decorate: boolean;
}

export interface FileSinkOptions {
  /** Folder that relative file names resolve from. */
  baseDir: string;
  /** Global files: every entry. */
  global: FileRoute;
  /** Files of one process (by the process's configured id), for its entries only. */
  routeFor: (processId: string) => FileRoute | undefined;
  /** A file's failure and its recovery (severity "info"), once each: see FileAppender. */
  onError: FileAppenderOptions["onError"];
  /** Makes the appender for a file (rotation plugs in here). */
  createAppender?: (file: string, onError: FileAppenderOptions["onError"]) => FileAppender;
}

/**
 * Writes entries to the files of SPEC §2.4: global files get every entry, process files their
 * process's; error entries go to the `stderr` file, falling back to the `stdout` file.
 */
export class FileSink implements LogSink {
  private readonly appenders = new Map<string, FileAppender>();

  constructor(private readonly options: FileSinkOptions) {}

  /** Appenders by the name as configured: the hot path looks up once per line without resolving. */
  private readonly byName = new Map<string, FileAppender>();

  private appender(file: string): FileAppender {
    const known = this.byName.get(file);
    if (known) return known;
    const full = path.resolve(this.options.baseDir, file);
    let appender = this.appenders.get(full);
    if (!appender) {
      const make = this.options.createAppender ?? ((f, onError) => new FileAppender(f, { onError }));
      appender = make(full, this.options.onError);
      this.appenders.set(full, appender);
    }
    this.byName.set(file, appender);
    return appender;
  }

  private writeRoute(route: FileRoute, entry: LogEntry): boolean {
    const file = entry.severity === "error" ? (route.stderr ?? route.stdout) : route.stdout;
    if (!file) return true;
    // An undecorated file holds a child's lines as it wrote them, as writeLines does.
    const raw = !route.decorate && isChildOutput(entry) && !entry.text.includes("\n");
    const line = raw ? entry.text : formatLine(entry, { decorate: route.decorate, colors: false });
    return this.appender(file).write(`${line}\n`);
  }

  write(entry: LogEntry): boolean {
    let ok = this.writeRoute(this.options.global, entry);
    const route = this.options.routeFor(entry.processId);
    if (route && !this.writeRoute(route, entry)) ok = false;
    return ok;
  }

  /** Undecorated files get the lines' bytes as they came from the pipe; decorated ones a line each. */
  writeLines(lines: LogLines): boolean {
    // Made at most once, for decorated files, whichever routes need them.
    let entries: LogEntry[] | undefined;
    const toLines = () => {
      entries ??= toEntries(lines);
      return entries;
    };
    let ok = this.writeLinesRoute(this.options.global, lines, toLines);
    const route = this.options.routeFor(lines.processId);
    if (route && !this.writeLinesRoute(route, lines, toLines)) ok = false;
    return ok;
  }

  private writeLinesRoute(route: FileRoute, lines: LogLines, entries: () => LogEntry[]): boolean {
    const file = lines.severity === "error" ? (route.stderr ?? route.stdout) : route.stdout;
    if (!file) return true;
    const appender = this.appender(file);
    if (!route.decorate) return appender.write(lines.bytes);
    let ok = true;
    for (const entry of entries()) {
      if (!appender.write(`${formatLine(entry, { decorate: true, colors: false })}\n`)) ok = false;
    }
    return ok;
  }

  async drained(): Promise<void> {
    await Promise.all([...this.appenders.values()].map((a) => a.drained()));
  }

  async flush(): Promise<void> {
    await Promise.all([...this.appenders.values()].map((a) => a.flush()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.appenders.values()].map((a) => a.close()));
  }

  /** Every file written so far. */
  health(): SinkHealth[] {
    return [...this.appenders.values()].map((a) => a.health());
  }
}
