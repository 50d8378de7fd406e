import type { LogEntry } from "./entry.ts";
import { formatLine } from "./format.ts";
import type { LogSink } from "./sink.ts";

const HIGH_WATER_MARK = 1024 * 1024;

type ConsoleStream = NodeJS.WritableStream & { writableLength?: number; destroyed?: boolean };

export interface ConsoleSinkOptions {
  decorate: boolean;
  colors: boolean;
  /** Whether entries of this process go to the console (`logger.console` of the process). */
  enabledFor: (processId: string) => boolean;
  out?: ConsoleStream;
  err?: ConsoleStream;
}

/** Console streams whose reader went away, with the error code that said so. */
const gone = new WeakMap<ConsoleStream, string>();
const guarded = new WeakSet<ConsoleStream>();

function isGone(stream: ConsoleStream): boolean {
  return gone.has(stream) || stream.destroyed === true;
}

/**
 * A console whose reader goes away (`pup run | head`, a killed `tee`, a closed terminal: EPIPE,
 * EIO) is no fault of the instance: the stream is marked gone and nothing more is written to it,
 * instead of an unhandled 'error' event ending the instance and everything it supervises. The
 * listener stays for the life of the stream, since an error can arrive after a sink has closed.
 * The other stream, if it still has a reader, says so once.
 */
function guard(stream: ConsoleStream, name: string, other: ConsoleStream): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (gone.has(stream)) return;
    const code = err.code ?? err.message;
    gone.set(stream, code);
    if (other !== stream && !isGone(other)) {
      other.write(
        `pup: console ${name} closed (${code}): console output stops; the log store and log files go on\n`,
      );
    }
  });
}

/** Echoes entries to the instance's stdout (errors to stderr), batched once per tick. */
export class ConsoleSink implements LogSink {
  private out: string[] = [];
  private err: string[] = [];
  private scheduled = false;
  private readonly stdout: ConsoleStream;
  private readonly stderr: ConsoleStream;

  constructor(private readonly options: ConsoleSinkOptions) {
    this.stdout = options.out ?? process.stdout;
    this.stderr = options.err ?? process.stderr;
    guard(this.stdout, "stdout", this.stderr);
    guard(this.stderr, "stderr", this.stdout);
  }

  write(entry: LogEntry): boolean {
    if (!this.options.enabledFor(entry.processId)) return true;
    const toErr = entry.severity === "error";
    if (isGone(toErr ? this.stderr : this.stdout)) return true;
    const line = `${formatLine(entry, this.options)}\n`;
    (toErr ? this.err : this.out).push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.writeOut());
    }
    return !this.backlogged();
  }

  private backlogged(): boolean {
    return !isGone(this.stdout) && (this.stdout.writableLength ?? 0) >= HIGH_WATER_MARK;
  }

  private writeOut(): void {
    this.scheduled = false;
    if (this.out.length > 0 && !isGone(this.stdout)) this.stdout.write(this.out.join(""));
    if (this.err.length > 0 && !isGone(this.stderr)) this.stderr.write(this.err.join(""));
    this.out = [];
    this.err = [];
  }

  /** Once the backlog is under the mark, or the stream is gone (then nothing is waited for). */
  drained(): Promise<void> {
    if (!this.backlogged()) return Promise.resolve();
    const stream = this.stdout;
    return new Promise((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("error", done);
        stream.off("close", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("error", done);
      stream.on("close", done);
    });
  }

  async flush(): Promise<void> {
    this.writeOut();
  }

  async close(): Promise<void> {
    this.writeOut();
  }
}
