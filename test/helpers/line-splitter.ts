import { StringDecoder } from "node:string_decoder";

/**
 * The plain line splitter pup used before LineChunker (src/runner/line-splitter.ts), one string
 * per line through a StringDecoder: the reference the chunker's lines are checked against.
 * Chunks are joined across boundaries (including inside a multi-byte character), "\r\n" and "\n"
 * end a line, and `end()` returns a last line that had no newline.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private rest = "";

  push(chunk: Buffer | string): string[] {
    const text = this.rest + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.endsWith("\r")) lines[i] = line.slice(0, -1);
    }
    return lines;
  }

  end(): string | undefined {
    const last = this.rest + this.decoder.end();
    this.rest = "";
    if (last === "") return undefined;
    return last.endsWith("\r") ? last.slice(0, -1) : last;
  }
}
