import { closeSync, fstatSync, mkdirSync, openSync, write, writev } from "node:fs";
import path from "node:path";
import { fileIdentity } from "../common/file-identity.ts";
import { SinkFault, type SinkHealth } from "./sink-fault.ts";

const HIGH_WATER_MARK = 4 * 1024 * 1024;
/** How often, while writing, the file is checked to still be the one open (not removed or rotated away). */
const CHECK_INTERVAL_MS = 1000;

export interface FileAppenderOptions {
  /**
   * A failure to open or write the file (reported once, until it recovers), its recovery
   * (`severity` "info"), and a file found removed and created again.
   */
  onError: (message: string, severity?: "error" | "info") => void;
  highWaterMark?: number;
  now?: () => number;
}

/** Buffers handed to one writev: well below any system's IOV_MAX. */
const MAX_BUFFERS_PER_WRITE = 256;

/**
 * Appends text or bytes to a file with few system calls: writes made while one is in flight go
 * out together in the next (one writev; bytes as they are, without copying). Opened lazily,
 * created with its folder if missing; a file removed or moved away (logrotate) is noticed within
 * a second of writing and created again.
 *
 * A failed write (disk full, file system gone read-only…) is reported once and retried with a
 * growing delay, the unwritten bytes first; meanwhile producers do not wait, the newest
 * `highWaterMark` bytes are kept and older ones dropped (counted in `health()`); the recovery is
 * reported too.
 */
export class FileAppender {
  private fd: number | undefined;
  /** Device and inode of the open file. */
  private identity: string | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private pending: Array<string | Buffer> = [];
  private pendingBytes = 0;
  private writing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private waiters: Array<() => void> = [];
  private readonly highWaterMark: number;
  private readonly fault: SinkFault;
  private readonly now: () => number;
  /** Bytes in the file, including what has been handed to the OS. */
  protected size = 0;

  constructor(
    readonly file: string,
    private readonly options: FileAppenderOptions,
  ) {
    this.highWaterMark = options.highWaterMark ?? HIGH_WATER_MARK;
    this.now = options.now ?? Date.now;
    this.fault = new SinkFault("file", file, `log file ${file}`, (severity, message) =>
      options.onError(message, severity),
    );
  }

  /** Text is written as UTF-8; `pendingBytes` counts its UTF-16 units, close enough for a bound. */
  write(data: string | Buffer): boolean {
    if (this.closed) return true;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.fault.failing) {
      this.dropOldest();
      return true;
    }
    if (!this.writing) this.writeBatch();
    return this.pendingBytes < this.highWaterMark;
  }

  drained(): Promise<void> {
    if (this.pendingBytes < this.highWaterMark || this.fault.failing) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when everything accepted is written, or at once while the file fails. */
  flush(): Promise<void> {
    if ((!this.writing && this.pending.length === 0) || this.fault.failing) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => this.flush());
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.pending.length > 0) this.fault.drop(this.dropAll());
    this.closeFile();
  }

  health(): SinkHealth {
    return this.fault.health();
  }

  /** Hook for rotation: called before each batch with the bytes about to be written. */
  protected beforeWrite(_bytes: number): void {}

  protected open(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, "a");
    const s = fstatSync(this.fd);
    this.size = s.size;
    this.identity = `${s.dev}:${s.ino}`;
    this.checkedAt = this.now();
  }

  protected reopen(): void {
    this.closeFile();
    this.open();
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // closing a descriptor of a file that failed: nothing more to lose
    }
    this.fd = undefined;
  }

  /** Opens the file if needed; at most once a second, makes sure the name still leads to it. */
  private ensureOpen(): void {
    if (this.fd === undefined) {
      this.open();
      return;
    }
    const now = this.now();
    if (now - this.checkedAt < CHECK_INTERVAL_MS) return;
    this.checkedAt = now;
    if (fileIdentity(this.file) === this.identity) return;
    this.options.onError(`log file ${this.file} was removed or moved away; writing to a new one`, "info");
    this.reopen();
  }

  private writeBatch(): void {
    if (this.pending.length === 0 || this.retryTimer || this.closed) {
      this.writing = false;
      this.wake();
      return;
    }
    const buffers = toBuffers(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = true;
    let bytes = 0;
    for (const b of buffers) bytes += b.length;
    try {
      this.ensureOpen();
      this.beforeWrite(bytes);
    } catch (err) {
      this.failed(err, buffers);
      return;
    }
    this.writeAll(buffers, bytes);
  }

  private writeAll(buffers: Buffer[], bytes: number): void {
    const done = (err: NodeJS.ErrnoException | null, written: number) => {
      if (err) return this.failed(err, buffers);
      this.size += written;
      if (written < bytes) {
        return this.writeAll([Buffer.concat(buffers).subarray(written)], bytes - written);
      }
      this.fault.recovered();
      if (this.pendingBytes < this.highWaterMark) this.wake();
      this.writeBatch();
    };
    if (buffers.length === 1) write(this.fd!, buffers[0], 0, bytes, null, done);
    else writev(this.fd!, buffers, null, done);
  }

  /**
   * What was not written goes back in front, to be retried after a delay with the file opened
   * again (created, if it was removed); producers are released, and the bytes held bounded.
   */
  private failed(err: unknown, unwritten: Buffer[]): void {
    this.writing = false;
    this.closeFile();
    this.pending = [...unwritten, ...this.pending];
    this.pendingBytes = 0;
    for (const item of this.pending) this.pendingBytes += item.length;
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const keep = `${Math.round(this.highWaterMark / 1024 / 1024)} MiB`;
    const delay = this.fault.failed(code, `retrying; meanwhile the newest ${keep} of lines are kept for it`);
    this.dropOldest();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.writing) this.writeBatch();
    }, delay);
    this.retryTimer.unref();
    this.wake();
  }

  /** While the file fails: the oldest of what waits goes, whole writes at a time, and is counted. */
  private dropOldest(): void {
    let n = 0;
    let lines = 0;
    while (this.pendingBytes > this.highWaterMark && n < this.pending.length - 1) {
      const item = this.pending[n++];
      this.pendingBytes -= item.length;
      lines += countLines(item);
    }
    if (n === 0) return;
    this.pending = this.pending.slice(n);
    this.fault.drop(lines);
  }

  private dropAll(): number {
    let lines = 0;
    for (const item of this.pending) lines += countLines(item);
    this.pending = [];
    this.pendingBytes = 0;
    return lines;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function countLines(item: string | Buffer): number {
  let n = 0;
  if (typeof item === "string") {
    for (let i = item.indexOf("\n"); i !== -1; i = item.indexOf("\n", i + 1)) n++;
  } else {
    for (let i = item.indexOf(0x0a); i !== -1; i = item.indexOf(0x0a, i + 1)) n++;
  }
  return n;
}

/** Runs of strings joined into one buffer each, buffers kept as they are; few enough for a writev. */
function toBuffers(pending: Array<string | Buffer>): Buffer[] {
  const buffers: Buffer[] = [];
  let text: string[] = [];
  for (const item of pending) {
    if (typeof item === "string") {
      text.push(item);
      continue;
    }
    if (text.length > 0) buffers.push(Buffer.from(text.join("")));
    text = [];
    buffers.push(item);
  }
  if (text.length > 0) buffers.push(Buffer.from(text.join("")));
  return buffers.length > MAX_BUFFERS_PER_WRITE ? [Buffer.concat(buffers)] : buffers;
}
