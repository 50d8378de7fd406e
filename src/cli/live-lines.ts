import type { LogEntry } from "../logs/entry.ts";

/** A `log` event of the event stream: an entry, or (`partial`) the current state of a line being redrawn. */
export type StreamedEntry = LogEntry & { partial?: boolean };

const CLEAR_LINE = "\r\x1b[2K";

/**
 * How `pup monitor` shows a line that a child redraws with "\r" (a progress bar) on a terminal:
 * its states rewrite one line at the bottom, which the line's final entry then replaces. Other
 * entries are printed above it. Returns the text to write for each entry.
 */
export class LiveLines {
  /** The redrawn line on screen, by whose output it is, as drawn (no newline). */
  private shown: { key: string; line: string } | undefined;

  constructor(
    private readonly format: (entry: LogEntry) => string,
    /** The terminal's width: a longer state would wrap and could not be rewritten. */
    private readonly columns: () => number,
  ) {}

  render(entry: StreamedEntry): string {
    const key = `${entry.processId}\u0000${entry.category}`;
    const clear = this.shown ? CLEAR_LINE : "";
    if (entry.partial) {
      const line = this.fit(entry);
      this.shown = { key, line };
      return clear + line;
    }
    const out = `${clear}${this.format(entry)}\n`;
    if (!this.shown || this.shown.key === key) {
      this.shown = undefined;
      return out;
    }
    // Another process's line: printed above the redrawn one, which is drawn again below it.
    return out + this.shown.line;
  }

  /** Leaves the terminal on a fresh line. */
  finish(): string {
    const out = this.shown ? "\n" : "";
    this.shown = undefined;
    return out;
  }

  private fit(entry: LogEntry): string {
    const width = Math.max(20, this.columns() - 1);
    const line = this.format(entry);
    // The visible length, without colour codes.
    const visible = line.replace(/\x1b\[[0-9;]*m/g, "").length;
    if (visible <= width) return line;
    const text = entry.text.slice(0, Math.max(0, entry.text.length - (visible - width) - 1));
    return this.format({ ...entry, text: `${text}…` });
  }
}
