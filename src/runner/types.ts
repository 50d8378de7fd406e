export type OutputStream = "stdout" | "stderr";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the child could not be started at all (e.g. ENOENT). */
  spawnError?: string;
}

export interface OutputHandler {
  /** One whole line of output. Returns false when the consumer wants the producer to pause. */
  line(stream: OutputStream, text: string): boolean;
  /**
   * `count` whole lines read together, as UTF-8, each ending in "\n" (none has another "\n").
   * Returns false when the consumer wants the producer to pause.
   */
  lines(stream: OutputStream, bytes: Buffer, count: number): boolean;
  /** Resolves when the consumer can take more lines. */
  drained(): Promise<void>;
  /**
   * The current state of a line being redrawn with "\r" (a progress bar), at most ten a second
   * per stream; the line itself comes later through `lines` in its final state.
   */
  update?(stream: OutputStream, text: string): void;
}

/** A running child: a process (group) or a worker thread. */
export interface Run {
  readonly pid: number | undefined;
  /** Resolves when the child has started; rejects with the spawn error. */
  readonly started: Promise<void>;
  /** Resolves once, after the child exited and its output was read to the end. */
  readonly exited: Promise<ExitInfo>;
  /** Send a signal to the child's whole process group (a worker is terminated). */
  signal(signal: NodeJS.Signals): void;
}

/** A run that never started: the reason is reported as its spawn error. */
export function failedRun(spawnError: string): Run {
  const started = Promise.reject(new Error(spawnError));
  started.catch(() => {});
  return {
    pid: undefined,
    started,
    exited: Promise.resolve({ code: null, signal: null, spawnError }),
    signal() {},
  };
}
