import { closeSync, fstatSync, mkdirSync, openSync, write, writev } from "node:fs";
import path from "node:path";

const HIGH_WATER_MARK = 4 * 1024 * 1024;

export interface FileAppenderOptions {
  /** Called once when the file cannot be opened or written; later lines to it are dropped. */
  onError: (message: string) => void;
  highWaterMark?: number;
}

/** Buffers handed to one writev: well below any system's IOV_MAX. */
const MAX_BUFFERS_PER_WRITE = 256;

/**
 * Appends text or bytes to a file with few system calls: writes made while one is in flight go
 * out together in the next (one writev; bytes as they are, without copying). Opened lazily,
 * created with its folder if missing.
 */
export class FileAppender {
  private fd: number | undefined;
  private pending: Array<string | Buffer> = [];
  private pendingBytes = 0;
  private writing = false;
  private failed = false;
  private waiters: Array<() => void> = [];
  private readonly highWaterMark: number;
  /** Bytes in the file, including what has been handed to the OS. */
  protected size = 0;

  constructor(
    readonly file: string,
    private readonly options: FileAppenderOptions,
  ) {
    this.highWaterMark = options.highWaterMark ?? HIGH_WATER_MARK;
  }

  /** Text is written as UTF-8; `pendingBytes` counts its UTF-16 units, close enough for a bound. */
  write(data: string | Buffer): boolean {
    if (this.failed) return true;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (!this.writing) this.writeBatch();
    return this.pendingBytes < this.highWaterMark;
  }

  drained(): Promise<void> {
    if (this.pendingBytes < this.highWaterMark || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  flush(): Promise<void> {
    if ((!this.writing && this.pending.length === 0) || this.failed) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => this.flush());
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /** Hook for rotation: called before each batch with the bytes about to be written. */
  protected beforeWrite(_bytes: number): void {}

  protected open(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, "a");
    this.size = fstatSync(this.fd).size;
  }

  protected reopen(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.open();
  }

  private fail(err: unknown): void {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = false;
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    this.options.onError(`cannot write log file ${this.file}: ${code}`);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private writeBatch(): void {
    if (this.pending.length === 0) {
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
      if (this.fd === undefined) this.open();
      this.beforeWrite(bytes);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.writeAll(buffers, bytes);
  }

  private writeAll(buffers: Buffer[], bytes: number): void {
    const done = (err: NodeJS.ErrnoException | null, written: number) => {
      if (err) return this.fail(err);
      this.size += written;
      if (written < bytes) return this.writeAll([Buffer.concat(buffers).subarray(written)], bytes - written);
      if (this.pendingBytes < this.highWaterMark) this.wake();
      this.writeBatch();
    };
    if (buffers.length === 1) write(this.fd!, buffers[0], 0, bytes, null, done);
    else writev(this.fd!, buffers, null, done);
  }
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
