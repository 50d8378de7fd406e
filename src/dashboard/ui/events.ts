import type { LogEntry } from "./types.ts";

/** Output of the process itself; every other category is the instance speaking about it. */
const OUTPUT = new Set(["stdout", "stderr"]);

/** Whether a log entry is one of the instance's messages about a process (start, exit, restart…). */
export function isProcessEvent(entry: LogEntry, id: string): boolean {
  return entry.processId === id && !OUTPUT.has(entry.category);
}

/** A `process_health_changed` event (SPEC §8.1) as an entry of a process's event list. */
export function healthEvent(d: { id: string; old?: string; new?: string; reason?: string }): LogEntry {
  const change = `health ${d.old ?? "–"} → ${d.new ?? "–"}`;
  return {
    severity: d.new === "unhealthy" ? "warn" : "info",
    category: "health",
    text: d.reason ? `${change}: ${d.reason}` : change,
    processId: d.id,
    timeStamp: Date.now(),
  };
}

/** Merge event lists, oldest first, without repeats, keeping the newest `max`. */
export function mergeEvents(a: LogEntry[], b: LogEntry[], max: number): LogEntry[] {
  const seen = new Set<string>();
  const all = [...a, ...b]
    .sort((x, y) => x.timeStamp - y.timeStamp)
    .filter((e) => {
      const key = `${e.timeStamp}\u0000${e.category}\u0000${e.text}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return all.slice(-max);
}
