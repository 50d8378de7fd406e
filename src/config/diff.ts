import { apiSchema, type PupConfig, watcherSchema } from "./schema.ts";

/**
 * What a live reload (SPEC §8.6) has to do: the difference between the running configuration and
 * the one just read, both already validated. Pure; the supervisor acts on it.
 *
 * Processes are compared as written (after validation fills in their own defaults), not as
 * resolved against the global keys: a process that inherits the global `terminateTimeout`,
 * `terminateGracePeriod` or `logger` is not "changed" when only the global value changes. Those
 * globals apply at once (SPEC: "the terminate defaults apply at once", "unchanged processes are
 * not touched"), so the supervisor updates the inherited values of running processes in place
 * (see `liveChanges`) instead of restarting every process for a new shutdown timeout.
 */
export interface ConfigDiff {
  /** In the new configuration only, in its order. */
  added: string[];
  /** In the old configuration only, in its order (as the old file spelt them). */
  removed: string[];
  /** In both, with any key of the definition different (also the case of the id), in the new order. */
  changed: string[];
  /** In both and identical, in the new order. */
  unchanged: string[];
  /** Changed global keys that take effect only when the instance restarts. */
  notApplied: string[];
}

/** Global keys a running instance applies at once. Any other top-level key needs a restart. */
const LIVE_KEYS = ["name", "logger", "watcher", "terminateTimeout", "terminateGracePeriod"] as const;
/** Keys of `api` applied at once; the listening address (`hostname`, `port`) is not. */
const LIVE_API_KEYS = ["revoked"] as const;

/** Keys that mean nothing to a running instance. */
const INERT_KEYS = new Set(["$schema", "processes"]);

/** Deep equality of configuration values, where a key set to undefined equals a missing key. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => sameValue(v, other[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (!sameValue(x[key], y[key])) return false;
  }
  return true;
}

/** Missing `api` and `watcher` objects mean their defaults: adding `"api": {}` changes nothing. */
function withDefaults(config: PupConfig): Record<string, unknown> {
  return {
    ...config,
    api: config.api ?? apiSchema.parse({}),
    watcher: config.watcher ?? watcherSchema.parse({}),
    logger: config.logger ?? {},
  };
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !sameValue(a[k], b[k])).sort();
}

/** Changed global keys, as dotted paths for `api` (`api.port`), in alphabetical order. */
function changedGlobals(old: PupConfig, next: PupConfig): string[] {
  const a = withDefaults(old);
  const b = withDefaults(next);
  const keys: string[] = [];
  for (const key of changedKeys(a, b)) {
    if (INERT_KEYS.has(key)) continue;
    if (key !== "api") keys.push(key);
    else {
      const api = changedKeys(a.api as Record<string, unknown>, b.api as Record<string, unknown>);
      keys.push(...api.map((k) => `api.${k}`));
    }
  }
  return keys;
}

function isLive(key: string): boolean {
  if (key.startsWith("api.")) return (LIVE_API_KEYS as readonly string[]).includes(key.slice(4));
  return (LIVE_KEYS as readonly string[]).includes(key);
}

/** Changed global keys that the running instance applies at once (for the supervisor). */
export function liveChanges(old: PupConfig, next: PupConfig): string[] {
  return changedGlobals(old, next).filter(isLive);
}

export function diffConfigs(old: PupConfig, next: PupConfig): ConfigDiff {
  const before = new Map(old.processes.map((p) => [p.id.toLowerCase(), p]));
  const after = new Set(next.processes.map((p) => p.id.toLowerCase()));
  const diff: ConfigDiff = { added: [], removed: [], changed: [], unchanged: [], notApplied: [] };
  for (const proc of next.processes) {
    const previous = before.get(proc.id.toLowerCase());
    if (!previous) diff.added.push(proc.id);
    else if (sameValue(previous, proc)) diff.unchanged.push(proc.id);
    else diff.changed.push(proc.id);
  }
  diff.removed = old.processes.filter((p) => !after.has(p.id.toLowerCase())).map((p) => p.id);
  diff.notApplied = changedGlobals(old, next).filter((key) => !isLive(key));
  return diff;
}
