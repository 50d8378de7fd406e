import { existsSync, renameSync, rmSync } from "node:fs";
import { errorMessage } from "../common/errors.ts";
import { FileAppender, type FileAppenderOptions } from "./file-appender.ts";

export interface RotationOptions {
  /** Rotate before a write would take the file past this size; 0 never rotates. */
  maxBytes: number;
  /** Rotated files kept: `file.1` (newest) … `file.<maxFiles>`. */
  maxFiles: number;
}

/** Defaults of `logger.maxFileSizeMb` and `logger.maxFiles` (as supervisord's). */
export const DEFAULT_MAX_FILE_SIZE_MB = 50;
export const DEFAULT_MAX_FILES = 10;

/**
 * A FileAppender with size-based rotation: `app.log` becomes `app.log.1`, `app.log.1` becomes
 * `app.log.2` … and the oldest beyond `maxFiles` is deleted. A batch is never split across files.
 */
export class RotatingFileAppender extends FileAppender {
  private readonly rotation: RotationOptions;
  private readonly onError: (message: string) => void;
  private rotationFailed = false;

  constructor(file: string, options: FileAppenderOptions & RotationOptions) {
    super(file, options);
    this.rotation = { maxBytes: options.maxBytes, maxFiles: Math.max(1, options.maxFiles) };
    this.onError = options.onError;
  }

  protected override beforeWrite(bytes: number): void {
    const { maxBytes } = this.rotation;
    if (maxBytes <= 0 || this.size === 0 || this.size + bytes <= maxBytes) return;
    try {
      this.shiftFiles();
    } catch (err) {
      // Keep appending to the current file rather than lose lines; say so once.
      if (!this.rotationFailed) this.onError(`cannot rotate log file ${this.file}: ${errorMessage(err)}`);
      this.rotationFailed = true;
      return;
    }
    this.reopen();
  }

  private shiftFiles(): void {
    const { maxFiles } = this.rotation;
    rmSync(`${this.file}.${maxFiles}`, { force: true });
    for (let i = maxFiles - 1; i >= 1; i--) {
      const from = `${this.file}.${i}`;
      if (existsSync(from)) renameSync(from, `${this.file}.${i + 1}`);
    }
    // The open descriptor follows the renamed file; reopen() then starts a new one.
    renameSync(this.file, `${this.file}.1`);
  }
}
