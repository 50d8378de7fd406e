import { StringDecoder } from "node:string_decoder";

/**
 * Turns a byte stream into whole lines: chunks are joined across boundaries (including inside a
 * multi-byte character), "\r\n" and "\n" end a line, and `end()` returns a last line that had no
 * newline. Lines are never cut, however long.
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
