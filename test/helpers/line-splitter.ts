import { StringDecoder } from "node:string_decoder";

/**
 * The plain line splitter pup used before LineChunker (src/runner/line-splitter.ts), one string
 * per line through a StringDecoder, with the chunker's rules for "\r" written the obvious way: the
 * reference the chunker's lines are checked against. Chunks are joined across boundaries
 * (including inside a multi-byte character), "\r\n" and "\n" end a line, a line is shown as its
 * last non-empty "\r"-separated segment, and `end()` returns a last line that had no newline.
 * Lines are never cut here: compare with inputs of short lines.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private rest = "";

  push(chunk: Buffer | string): string[] {
    const text = this.rest + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    return lines.map(finalState);
  }

  end(): string | undefined {
    const last = this.rest + this.decoder.end();
    this.rest = "";
    if (/^\r*$/.test(last)) return undefined;
    return finalState(last);
  }
}

/** What a terminal shows of a line redrawn with "\r" (a "\r" before its end is part of "\r\n"). */
function finalState(line: string): string {
  const segments = (line.endsWith("\r") ? line.slice(0, -1) : line).split("\r");
  for (let i = segments.length - 1; i >= 0; i--) if (segments[i] !== "") return segments[i];
  return "";
}
