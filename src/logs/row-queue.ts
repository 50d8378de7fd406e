import type { PendingRow } from "./store-database.ts";

/** Rows accepted by the store and not yet written, oldest first, with their entries and text counted. */
export class RowQueue {
  private rows: PendingRow[] = [];
  /** Entries (lines) in the rows. */
  entries = 0;
  /** Text in the rows: bytes, or UTF-16 units for entries (close enough for a bound). */
  bytes = 0;

  get length(): number {
    return this.rows.length;
  }

  push(row: PendingRow): void {
    this.rows.push(row);
    this.entries += row.count;
    this.bytes += row.text.length;
  }

  /** Removes and returns the oldest rows: at most `maxRows`, and stops once `maxBytes` is reached. */
  take(maxRows: number, maxBytes: number): PendingRow[] {
    let size = 0;
    let bytes = 0;
    let entries = 0;
    while (size < this.rows.length && size < maxRows && bytes < maxBytes) {
      const row = this.rows[size++];
      bytes += row.text.length;
      entries += row.count;
    }
    const taken = size === this.rows.length ? this.rows : this.rows.slice(0, size);
    this.rows = taken === this.rows ? [] : this.rows.slice(size);
    this.bytes -= bytes;
    this.entries -= entries;
    return taken;
  }

  /** Puts rows that could not be written back in front, in their order. */
  putBack(rows: PendingRow[]): void {
    this.rows = rows.concat(this.rows);
    for (const row of rows) {
      this.entries += row.count;
      this.bytes += row.text.length;
    }
  }

  /** Drops the oldest rows until at most `maxEntries` and `maxBytes` are held; returns the entries dropped. */
  dropOldest(maxEntries: number, maxBytes: number): number {
    let n = 0;
    let dropped = 0;
    while (n < this.rows.length && (this.entries > maxEntries || this.bytes > maxBytes)) {
      const row = this.rows[n++];
      this.entries -= row.count;
      this.bytes -= row.text.length;
      dropped += row.count;
    }
    if (n > 0) this.rows = this.rows.slice(n);
    return dropped;
  }
}
