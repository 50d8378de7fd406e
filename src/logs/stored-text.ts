import type { LogLines } from "./entry.ts";

/**
 * The longest line the log store keeps whole, in UTF-8 bytes. A child's longer line is cut into
 * pieces of at most this size as it is read (runner/line-splitter.ts: memory stays bounded, and
 * every piece reaches files and the store); an entry from elsewhere (the API, a plugin) that is
 * longer is stored cut, with TRUNCATED.
 */
export const MAX_STORED_TEXT_BYTES = 64 * 1024;

/**
 * Ends every piece of a cut line but the last: the rest of the line follows as the next entry.
 * A piece with its marker is at most MAX_STORED_TEXT_BYTES.
 */
export const LINE_CONTINUES = " …[line continues]";

const TRUNCATED = (bytes: number) => ` [… truncated: the line had ${bytes} bytes]`;

/** The text as stored: whole when at most MAX_STORED_TEXT_BYTES, else cut there with a marker. */
export function storedText(text: string): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts need no counting.
  if (text.length * 3 <= MAX_STORED_TEXT_BYTES) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= MAX_STORED_TEXT_BYTES) return text;
  // Cutting inside a character leaves a replacement character at the end: drop it.
  const cut = Buffer.from(text)
    .subarray(0, MAX_STORED_TEXT_BYTES)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return cut + TRUNCATED(bytes);
}

/** The bytes without their final "\n", to be stored as text (the lines joined by "\n"). */
export function linesText(lines: LogLines): string | Buffer {
  const { bytes } = lines;
  const body = bytes.subarray(0, bytes.length - 1);
  if (!mayHaveLongLine(body)) return body;
  // A line over the limit is stored cut: the lines one by one.
  return body
    .toString("utf8")
    .split("\n")
    .map((line) => storedText(line))
    .join("\n");
}

/**
 * Whether a line of `body` may be longer than MAX_STORED_TEXT_BYTES: only when the first line
 * is, or when what follows it is longer than that (a pipe read is 64 KiB: the first line is the
 * one that can have started in an earlier read).
 */
function mayHaveLongLine(body: Buffer): boolean {
  if (body.length <= MAX_STORED_TEXT_BYTES) return false;
  const first = body.indexOf(0x0a);
  if (first === -1 || first > MAX_STORED_TEXT_BYTES) return true;
  return body.length - first - 1 > MAX_STORED_TEXT_BYTES;
}
