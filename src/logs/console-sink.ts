import type { LogEntry } from "./entry.ts";
import { formatLine } from "./format.ts";
import type { LogSink } from "./sink.ts";

const HIGH_WATER_MARK = 1024 * 1024;

export interface ConsoleSinkOptions {
  decorate: boolean;
  colors: boolean;
  /** Whether entries of this process go to the console (`logger.console` of the process). */
  enabledFor: (processId: string) => boolean;
  out?: NodeJS.WritableStream & { writableLength?: number };
  err?: NodeJS.WritableStream & { writableLength?: number };
}

/** Echoes entries to the instance's stdout (errors to stderr), batched once per tick. */
export class ConsoleSink implements LogSink {
  private out: string[] = [];
  private err: string[] = [];
  private scheduled = false;
  private readonly stdout: NonNullable<ConsoleSinkOptions["out"]>;
  private readonly stderr: NonNullable<ConsoleSinkOptions["err"]>;

  constructor(private readonly options: ConsoleSinkOptions) {
    this.stdout = options.out ?? process.stdout;
    this.stderr = options.err ?? process.stderr;
  }

  write(entry: LogEntry): boolean {
    if (!this.options.enabledFor(entry.processId)) return true;
    const line = `${formatLine(entry, this.options)}\n`;
    (entry.severity === "error" ? this.err : this.out).push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.writeOut());
    }
    return (this.stdout.writableLength ?? 0) < HIGH_WATER_MARK;
  }

  private writeOut(): void {
    this.scheduled = false;
    if (this.out.length > 0) this.stdout.write(this.out.join(""));
    if (this.err.length > 0) this.stderr.write(this.err.join(""));
    this.out = [];
    this.err = [];
  }

  drained(): Promise<void> {
    if ((this.stdout.writableLength ?? 0) < HIGH_WATER_MARK) return Promise.resolve();
    return new Promise((resolve) => this.stdout.once("drain", () => resolve()));
  }

  async flush(): Promise<void> {
    this.writeOut();
  }

  async close(): Promise<void> {
    this.writeOut();
  }
}
