/**
 * Writes a command's output at the pace of its reader: a pipe to a slow reader is written to as
 * it empties ('drain'), and `end()` resolves once everything was handed to the OS, so that the
 * process may exit without losing output. A reader that went away (`pup logs | head`: EPIPE) is
 * the reader's choice, not an error: `gone` turns true and further writes are dropped.
 */
export class StdoutWriter {
  private gone = false;
  private failure: Error | undefined;
  /** Resolves when the latest write has been handed to the OS (or failed). */
  private written: Promise<void> = Promise.resolve();

  constructor(private readonly stream: NodeJS.WritableStream & { writableLength?: number } = process.stdout) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      // The reader closed its end of a pipe (EPIPE) or its terminal (EIO).
      if (err.code === "EPIPE" || err.code === "EIO") this.gone = true;
      else this.failure ??= err;
    });
  }

  /** The reader closed its end: stop producing output. */
  get closed(): boolean {
    return this.gone;
  }

  /** Writes `text`; resolves when the stream can take more. Throws if stdout failed (not EPIPE). */
  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.gone) return;
    let done!: () => void;
    this.written = new Promise((resolve) => {
      done = resolve;
    });
    if (this.stream.write(text, () => done())) return;
    await new Promise<void>((resolve) => {
      const settle = () => {
        this.stream.off("drain", settle);
        this.stream.off("error", settle);
        resolve();
      };
      this.stream.once("drain", settle);
      this.stream.once("error", settle);
    });
  }

  /** Resolves once everything written was handed to the OS (or the reader is gone). */
  async end(): Promise<void> {
    await this.written;
    if (this.failure) throw this.failure;
  }
}
