import type { Readable } from "node:stream";
import { LineSplitter } from "./line-splitter.ts";
import type { OutputHandler, OutputStream } from "./types.ts";

/**
 * Reads a child's stream line by line into `handler`. When the handler asks to wait, the stream
 * is paused (the child then blocks on its pipe) instead of lines being dropped.
 * Resolves when the stream has ended and its last line was delivered.
 */
export function pipeLines(stream: Readable, name: OutputStream, handler: OutputHandler): Promise<void> {
  const splitter = new LineSplitter();
  let waiting = false;
  return new Promise((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      let ok = true;
      for (const line of splitter.push(chunk)) {
        if (!handler.line(name, line)) ok = false;
      }
      if (!ok && !waiting) {
        waiting = true;
        stream.pause();
        handler.drained().then(() => {
          waiting = false;
          stream.resume();
        });
      }
    });
    const finish = () => {
      const last = splitter.end();
      if (last !== undefined) handler.line(name, last);
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
