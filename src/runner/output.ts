import type { Readable } from "node:stream";
import { LineChunker } from "./line-splitter.ts";
import type { OutputHandler, OutputStream } from "./types.ts";

/** A child's output stream being read into log lines. */
export interface PipeReader {
  /** Resolves when the stream has ended (or was abandoned) and its last line was delivered. */
  readonly done: Promise<void>;
  /** The stream still delivers: it is paused for the consumer, or it read within the last `ms`. */
  busyWithin(ms: number): boolean;
  /** Stop reading (the writer outlived its group and will not close the pipe). */
  abandon(): void;
}

/**
 * Reads a child's stream into `handler`, whole lines at a time: each read of the pipe is passed
 * on as the bytes of the lines it completes (LineChunker), without a string per line. When the
 * handler asks to wait, the stream is paused (the child then blocks on its pipe) instead of lines
 * being dropped.
 */
export function pipeLines(stream: Readable, name: OutputStream, handler: OutputHandler): PipeReader {
  // A line redrawn with "\r" (a progress bar) is shown as it changes, not only once it ends.
  const chunker = new LineChunker({ onUpdate: handler.update && ((text) => handler.update!(name, text)) });
  let waiting = false;
  let lastRead = performance.now();
  let finished = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  stream.on("data", (chunk: Buffer | string) => {
    lastRead = performance.now();
    let ok = true;
    for (const lines of chunker.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)) {
      if (!handler.lines(name, lines.bytes, lines.count)) ok = false;
    }
    if (ok || waiting) return;
    waiting = true;
    stream.pause();
    handler.drained().then(() => {
      waiting = false;
      lastRead = performance.now();
      stream.resume();
    });
  });
  const finish = () => {
    if (finished) return;
    finished = true;
    const last = chunker.end();
    if (last) handler.lines(name, last.bytes, last.count);
    resolveDone();
  };
  stream.once("end", finish);
  stream.once("error", finish);
  // A destroyed stream emits no 'end'.
  stream.once("close", finish);
  return {
    done,
    busyWithin: (ms) => !finished && (waiting || performance.now() - lastRead < ms),
    abandon: () => {
      if (!finished) stream.destroy();
    },
  };
}
