import { ACTIVE_STATES, bytes, clock, duration, exitText, percent, relative, stateName } from "./format.ts";
import type { InstanceState, ProcessStatus } from "./types.ts";

/** What a process's status says, in words: decisions kept apart from the elements that show them. */

/** The actions a row offers for a status: start or stop, restart, block or unblock. */
export function rowActions(status: ProcessStatus): string[] {
  return [
    ACTIVE_STATES.has(status.status) ? "stop" : "start",
    "restart",
    status.blocked ? "unblock" : "block",
  ];
}

/** The short line under a process's state: a pending restart, the next cron run, connections. */
export function statusNote(status: ProcessStatus, nextRun: string | undefined, now: number): string {
  const notes: string[] = [];
  if (status.nextRestart) notes.push(`restart ${relative(status.nextRestart, now)}`);
  else if (status.pendingRestartReason) notes.push(`restart pending: ${status.pendingRestartReason}`);
  if (nextRun && !ACTIVE_STATES.has(status.status)) notes.push(`next run ${relative(nextRun, now)}`);
  if (status.connections !== undefined) {
    notes.push(`${status.connections} connection${status.connections === 1 ? "" : "s"}`);
  }
  return notes.join(" · ");
}

/** The status fields a process's page lists, each as label and text. */
export function statusFields(s: ProcessStatus, now: number): Array<[string, string]> {
  const at = (iso: string | undefined) => (iso ? `${clock(iso, now)} (${relative(iso, now)})` : "");
  const fields: Array<[string, string]> = [
    ["status", stateName(s.status) + (s.blocked ? " (blocked)" : "")],
    ["health", s.health ?? "no healthcheck"],
    ["type", s.type],
    ["pid", s.pid === undefined ? "" : String(s.pid)],
    ["started", at(s.started)],
    ["uptime", ACTIVE_STATES.has(s.status) && s.started ? duration(now - Date.parse(s.started)) : ""],
    ["exited", at(s.exited)],
    ["last exit", exitText(s.code, s.signal)],
    ["restarts", String(s.restarts)],
    ["next restart", at(s.nextRestart)],
    ["pending restart", s.pendingRestartReason ?? ""],
    ["CPU", percent(s.cpu)],
    ["memory", bytes(s.rss)],
    ["connections", s.connections === undefined ? "" : String(s.connections)],
    ["updated", at(s.updated)],
  ];
  return fields.filter(([, text]) => text !== "");
}

/** The state's statuses, each cluster instance with its balancer's open connections. */
export function withConnections(state: InstanceState): ProcessStatus[] {
  const open = new Map<string, number>();
  for (const balancer of state.balancers ?? []) {
    for (const backend of balancer.backends) open.set(backend.name, backend.open);
  }
  if (open.size === 0) return state.processes;
  return state.processes.map((s) => (open.has(s.id) ? { ...s, connections: open.get(s.id) } : s));
}
