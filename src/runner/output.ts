import type { Readable } from "node:stream";
import { LineChunker } from "./line-splitter.ts";
import type { OutputHandler, OutputStream } from "./types.ts";

/**
 * Reads a child's stream into `handler`, whole lines at a time: each read of the pipe is passed
 * on as the bytes of the lines it completes (LineChunker), without a string per line. When the handler asks to
 * wait, the stream is paused (the child then blocks on its pipe) instead of lines being dropped.
 * Resolves when the stream has ended and its last line was delivered.
 */
export function pipeLines(stream: Readable, name: OutputStream, handler: OutputHandler): Promise<void> {
  const chunker = new LineChunker();
  let waiting = false;
  return new Promise((resolve) => {
    stream.on("data", (chunk: Buffer | string) => {
      let ok = true;
      for (const lines of chunker.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)) {
        if (!handler.lines(name, lines.bytes, lines.count)) ok = false;
      }
      if (ok || waiting) return;
      waiting = true;
      stream.pause();
      handler.drained().then(() => {
        waiting = false;
        stream.resume();
      });
    });
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const last = chunker.end();
      if (last) handler.lines(name, last.bytes, last.count);
      resolve();
    };
    stream.once("end", finish);
    stream.once("error", finish);
    stream.once("close", () => {
      // A destroyed stream emits no 'end'; make sure we resolve exactly once.
      if (!stream.readableEnded) finish();
    });
  });
}
