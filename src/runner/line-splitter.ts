import { isUtf8 } from "node:buffer";
import { LINE_CONTINUES, MAX_STORED_TEXT_BYTES } from "../logs/stored-text.ts";
import { LineUpdates } from "./line-updates.ts";

/** Whole lines as UTF-8, each ending in "\n" (none has another "\n" or a "\r" inside), and how many. */
export interface LineChunk {
  bytes: Buffer;
  count: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const MARKER = Buffer.from(LINE_CONTINUES);
const NO_BYTES = Buffer.alloc(0);

/** The longest piece of a line passed on; with the marker of a cut it is the store's limit. */
export const MAX_LINE_BYTES = MAX_STORED_TEXT_BYTES - MARKER.length;

/** The number of "\n" bytes in `buf` (a native search per line: ~15 ns for a 100-byte line). */
export function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE); i !== -1; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

export interface LineChunkerOptions {
  /**
   * The current state of a line that is being redrawn with "\r" (a progress bar), each time a
   * "\r" ends a segment of it, at most once per `updateIntervalMs` (the latest state wins).
   * Never called for a line once it has ended: the line itself then carries its final state.
   */
  onUpdate?: (text: string) => void;
  /** Default 100 ms: at most ten updates a second per stream. */
  updateIntervalMs?: number;
  /** Lines longer than this (bytes) are cut; default MAX_LINE_BYTES. */
  maxLineBytes?: number;
}

/**
 * Turns a byte stream into whole lines, as the terminal would show them and without holding more
 * than one line's worth of it:
 * - chunks are joined across boundaries (including inside a multi-byte character); "\n" and "\r\n"
 *   end a line; `end()` returns a last line that had no newline;
 * - a "\r" not followed by "\n" redraws the line (a progress bar): the line passed on is its final
 *   state, the last non-empty segment between such "\r"s (`onUpdate` reports the states between);
 * - a line longer than `maxLineBytes` is cut at a character boundary into pieces, each but the
 *   last ending with LINE_CONTINUES: the rest of the line follows as the next line, nothing is
 *   lost, and a child writing 150 MB without a newline costs at most one piece of memory.
 * Ordinary output is not copied: a read comes out as at most two pieces (the line begun in earlier
 * reads, joined, then a view of the read's own whole lines), the partial last line kept for the
 * next read. Bytes that are valid UTF-8 are passed on as they came; invalid ones are replaced by
 * U+FFFD, as a string decoder does.
 */
export class LineChunker {
  /** The current segment of the line not yet ended (no "\n" or "\r" inside). */
  private open: Buffer[] = [];
  private openBytes = 0;
  /** The line's last non-empty segment before a redraw "\r", while it has had one. */
  private shown: Buffer | undefined;
  /** The last byte read was a "\r": whether it ends the line ("\r\n") is known with the next one. */
  private pendingCR = false;
  private readonly max: number;
  private readonly updates: LineUpdates | undefined;

  constructor(options: LineChunkerOptions = {}) {
    this.max = options.maxLineBytes ?? MAX_LINE_BYTES;
    if (options.onUpdate) this.updates = new LineUpdates(options.onUpdate, options.updateIntervalMs ?? 100);
  }

  /** Bytes held for the line not yet ended (at most about `maxLineBytes` plus one segment shown). */
  get heldBytes(): number {
    return this.openBytes + (this.shown?.length ?? 0);
  }

  push(chunk: Buffer): LineChunk[] {
    if (chunk.length === 0) return [];
    if (this.pendingCR || this.shown || chunk.indexOf(CR) !== -1) return this.pushSegments(chunk);
    const last = chunk.lastIndexOf(NEWLINE);
    if (last === -1) {
      if (this.openBytes + chunk.length > this.max) return this.pushSegments(chunk);
      this.open.push(chunk);
      this.openBytes += chunk.length;
      return [];
    }
    // No line too long: the one begun earlier, those between the first and the last "\n" (only
    // a stretch longer than a line may be is searched for one), and the partial one left.
    const first = this.openBytes > 0 || chunk.length > this.max ? chunk.indexOf(NEWLINE) : 0;
    if (
      this.openBytes + first > this.max ||
      chunk.length - last - 1 > this.max ||
      (last - first > this.max && hasLongLine(chunk, first, last, this.max))
    ) {
      return this.pushSegments(chunk);
    }
    const out: LineChunk[] = [];
    let from = 0;
    if (this.openBytes > 0) {
      from = first + 1;
      out.push(whole(Buffer.concat([...this.open, chunk.subarray(0, from)])));
    }
    if (from <= last) out.push(whole(chunk.subarray(from, last + 1)));
    this.open = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    this.openBytes = chunk.length - last - 1;
    return out;
  }

  /** The general case, a segment at a time: redraws, "\r\n", lines to cut. */
  private pushSegments(chunk: Buffer): LineChunk[] {
    const lines: Buffer[] = [];
    let i = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk[0] === NEWLINE) {
        lines.push(this.endLine());
        i = 1;
      } else this.redraw();
    }
    let nl = chunk.indexOf(NEWLINE, i);
    let cr = chunk.indexOf(CR, i);
    while (i < chunk.length) {
      if (nl !== -1 && nl < i) nl = chunk.indexOf(NEWLINE, i);
      if (cr !== -1 && cr < i) cr = chunk.indexOf(CR, i);
      const stop = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
      if (stop === -1) {
        this.append(chunk.subarray(i), lines);
        break;
      }
      this.append(chunk.subarray(i, stop), lines);
      i = stop + 1;
      if (stop === nl) lines.push(this.endLine());
      else if (i === chunk.length) this.pendingCR = true;
      else if (chunk[i] === NEWLINE) {
        lines.push(this.endLine());
        i++;
      } else this.redraw();
    }
    return lines.length === 0 ? [] : [joined(lines)];
  }

  /** Adds to the open segment; pieces over the limit are cut off into `lines`. */
  private append(piece: Buffer, lines: Buffer[]): void {
    if (piece.length === 0) return;
    this.open.push(piece);
    this.openBytes += piece.length;
    if (this.openBytes <= this.max) return;
    let rest = this.takeOpen();
    while (rest.length > this.max) {
      const at = characterBoundary(rest, this.max);
      lines.push(Buffer.concat([rest.subarray(0, at), MARKER]));
      rest = rest.subarray(at);
    }
    // The long segment is what the line shows now; an earlier redrawn state is gone.
    this.shown = undefined;
    this.updates?.cancel();
    this.open = [rest];
    this.openBytes = rest.length;
  }

  /** A "\r" inside the line: the segment before it, if any, is the line's state for now. */
  private redraw(): void {
    if (this.openBytes === 0) return;
    this.shown = this.takeOpen();
    this.updates?.push(this.shown);
  }

  /** The line's final state, and a fresh start for the next line. */
  private endLine(): Buffer {
    const text = this.openBytes > 0 ? this.takeOpen() : (this.shown ?? NO_BYTES);
    if (this.shown) {
      this.shown = undefined;
      this.updates?.cancel();
    }
    return text;
  }

  private takeOpen(): Buffer {
    const bytes = this.open.length === 1 ? this.open[0] : Buffer.concat(this.open);
    this.open = [];
    this.openBytes = 0;
    return bytes;
  }

  /** The last line, when the stream ended without a newline after it. */
  end(): LineChunk | undefined {
    this.pendingCR = false;
    if (this.openBytes === 0 && !this.shown) return undefined;
    return joined([this.endLine()]);
  }
}

/** Whether two consecutive "\n" between `from` and `to` (both "\n") are more than `max` bytes apart. */
function hasLongLine(buf: Buffer, from: number, to: number, max: number): boolean {
  for (let i = from; i < to; ) {
    const next = buf.indexOf(NEWLINE, i + 1);
    if (next - i > max) return true;
    i = next;
  }
  return false;
}

/** Where to cut `bytes` at most `max` bytes in: not inside a UTF-8 character. */
function characterBoundary(bytes: Buffer, max: number): number {
  let at = max;
  for (let k = 0; k < 3 && at > 0 && (bytes[at] & 0xc0) === 0x80; k++) at--;
  return at > 0 ? at : max;
}

/** Lines (without their "\n") as one chunk. */
function joined(lines: Buffer[]): LineChunk {
  const parts: Buffer[] = [];
  for (const line of lines) parts.push(line, NEWLINE_BYTE);
  return whole(Buffer.concat(parts));
}

const NEWLINE_BYTE = Buffer.from("\n");

/** `bytes` ends in "\n" and holds no "\r". */
function whole(bytes: Buffer): LineChunk {
  if (isUtf8(bytes)) return { bytes, count: countNewlines(bytes) };
  const text = bytes.toString("utf8");
  return { bytes: Buffer.from(text), count: countNewlines(bytes) };
}
