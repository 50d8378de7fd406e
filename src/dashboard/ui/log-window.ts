import type { LogEntry } from "./types.ts";

/** What the log view shows: the server-side part goes into GET /logs, `text` is matched here. */
export interface LogFilter {
  processId: string;
  severity: string;
  /** Milliseconds since the epoch, inclusive; undefined: open. */
  from: number | undefined;
  to: number | undefined;
  text: string;
}

export const NO_FILTER: LogFilter = {
  processId: "",
  severity: "",
  from: undefined,
  to: undefined,
  text: "",
};

/** Whether an entry passes the filters GET /logs applies (process, severity, time range). */
export function inQuery(entry: LogEntry, f: LogFilter): boolean {
  return (
    (!f.processId || entry.processId === f.processId) &&
    (!f.severity || entry.severity === f.severity) &&
    (f.from === undefined || entry.timeStamp >= f.from) &&
    (f.to === undefined || entry.timeStamp <= f.to)
  );
}

/** Whether an entry's text, process or category contains the search text (case-insensitive). */
export function matchesText(entry: LogEntry, text: string): boolean {
  if (!text) return true;
  const needle = text.toLowerCase();
  return (
    entry.text.toLowerCase().includes(needle) ||
    entry.processId.toLowerCase().includes(needle) ||
    entry.category.toLowerCase().includes(needle)
  );
}

/** The GET /logs query for the newest entries matching a filter. */
export function logsQuery(f: LogFilter, nRows: number, end = f.to): URLSearchParams {
  const params = new URLSearchParams({ nRows: String(nRows) });
  if (f.processId) params.set("processId", f.processId);
  if (f.severity) params.set("severity", f.severity);
  if (f.from !== undefined) params.set("startTimeStamp", String(f.from));
  if (end !== undefined) params.set("endTimeStamp", String(end));
  return params;
}

/**
 * The entries the view holds, oldest first, never more than `max`. New entries join at the end
 * (dropping the oldest); older pages, read by time, join at the start (dropping the newest, after
 * which the window no longer reaches the live end until it is loaded again).
 */
export class LogWindow {
  entries: LogEntry[] = [];
  /** Whether the newest entries are held, so live entries continue them. */
  atLiveEdge = true;
  /** Whether GET /logs has nothing older for this filter. */
  reachedStart = false;

  constructor(readonly max: number) {}

  reset(entries: LogEntry[], complete: boolean): void {
    this.entries = entries.slice(-this.max);
    this.atLiveEdge = true;
    this.reachedStart = complete;
  }

  /** Add a live entry; returns how many old entries were dropped from the start. */
  append(entry: LogEntry): number {
    this.entries.push(entry);
    const over = this.entries.length - this.max;
    if (over <= 0) return 0;
    this.entries.splice(0, over);
    this.reachedStart = false;
    return over;
  }

  /**
   * The query for the page before the oldest held entry. Read by time with an inclusive end, so
   * it asks for the entries that share the oldest entry's millisecond as well and `prepend` drops
   * the ones already held: nothing is skipped or shown twice.
   */
  olderQuery(f: LogFilter, pageSize: number): URLSearchParams | undefined {
    const oldest = this.entries[0];
    if (!oldest) return undefined;
    return logsQuery(f, pageSize + this.heldAt(oldest.timeStamp), oldest.timeStamp);
  }

  private heldAt(timeStamp: number): number {
    let n = 0;
    while (n < this.entries.length && this.entries[n].timeStamp === timeStamp) n++;
    return n;
  }

  /** Add a page read with `olderQuery`; returns how many entries joined, and how many newest went. */
  prepend(page: LogEntry[], pageSize: number): { added: number; droppedNewest: number } {
    const oldest = this.entries[0];
    let older = page;
    const asked = pageSize + (oldest ? this.heldAt(oldest.timeStamp) : 0);
    if (oldest) {
      let held = this.heldAt(oldest.timeStamp);
      let end = page.length;
      while (held > 0 && end > 0 && page[end - 1].timeStamp === oldest.timeStamp) {
        end--;
        held--;
      }
      older = page.slice(0, end);
    }
    if (page.length < asked) this.reachedStart = true;
    this.entries = older.concat(this.entries);
    const over = Math.max(0, this.entries.length - this.max);
    if (over > 0) {
      this.entries.length = this.max;
      this.atLiveEdge = false;
    }
    return { added: older.length, droppedNewest: over };
  }
}
