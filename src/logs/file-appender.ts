import { closeSync, fstatSync, mkdirSync, openSync, write } from "node:fs";
import path from "node:path";

const HIGH_WATER_MARK = 4 * 1024 * 1024;

export interface FileAppenderOptions {
  /** Called once when the file cannot be opened or written; later lines to it are dropped. */
  onError: (message: string) => void;
  highWaterMark?: number;
}

/**
 * Appends text to a file with few system calls: writes made while one is in flight are joined
 * into the next. Opened lazily, created with its folder if missing.
 */
export class FileAppender {
  private fd: number | undefined;
  private pending: string[] = [];
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

  write(text: string): boolean {
    if (this.failed) return true;
    this.pending.push(text);
    this.pendingBytes += text.length;
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
    const data = Buffer.from(this.pending.join(""));
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = true;
    try {
      if (this.fd === undefined) this.open();
      this.beforeWrite(data.length);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.writeAll(data, 0);
  }

  private writeAll(data: Buffer, offset: number): void {
    write(this.fd!, data, offset, data.length - offset, null, (err, written) => {
      if (err) return this.fail(err);
      this.size += written;
      if (offset + written < data.length) return this.writeAll(data, offset + written);
      if (this.pendingBytes < this.highWaterMark) this.wake();
      this.writeBatch();
    });
  }
}
