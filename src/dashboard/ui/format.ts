/** Text for the numbers and times the dashboard shows. */

export const STATES: Record<number, string> = {
  0: "CREATED",
  100: "STARTING",
  200: "RUNNING",
  250: "STOPPING",
  300: "FINISHED",
  400: "ERRORED",
  450: "EXHAUSTED",
  500: "MIXED",
};

/** States in which a process has a child (or, for a cluster, some instance has). */
export const ACTIVE_STATES = new Set([100, 200, 250, 500]);

export function stateName(code: number): string {
  return STATES[code] ?? String(code);
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function percent(n: number | undefined): string {
  return n === undefined ? "" : `${n.toFixed(1)} %`;
}

/** A length of time, two units at most: "45s", "3m 12s", "5h 2m", "4d 1h". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** "in 4s" / "3m 2s ago" relative to `now`. */
export function relative(iso: string | undefined, now: number): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  return t >= now ? `in ${duration(t - now + 999)}` : `${duration(now - t)} ago`;
}

/** Local clock time, with the date when it is not today. */
export function clock(time: number | string, now: number): string {
  const d = new Date(time);
  const today = new Date(now).toDateString() === d.toDateString();
  const hms = d.toLocaleTimeString([], { hour12: false });
  return today ? hms : `${d.toLocaleDateString()} ${hms}`;
}

/** How a process last ended: "code 1", "signal SIGKILL", or "". */
export function exitText(code: number | undefined, signal: string | undefined): string {
  if (signal) return `signal ${signal}`;
  return code === undefined ? "" : `code ${code}`;
}
