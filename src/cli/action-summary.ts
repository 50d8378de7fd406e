import type { ProcessAction } from "../client/client.ts";
import { memberIndex } from "../config/identity.ts";
import { ProcessState, stateName } from "../core/states.ts";
import type { ProcessInfo } from "../core/types.ts";

/*
 * What `pup start|stop|block|unblock ID` tells the user. The API answers an action that has
 * nothing to do (start of a running process, stop of a stopped one) with 200 and the statuses, as
 * Pup does; the CLI compares them with the statuses before the action to say which it was.
 */

const PAST: Record<ProcessAction, string> = {
  start: "started",
  stop: "stopped",
  restart: "restarted",
  block: "blocked",
  unblock: "unblocked",
};

/** Why an action left a process as it was; undefined when it acted (restart always acts). */
const NOTHING_TO_DO: Record<ProcessAction, ((before: ProcessInfo) => boolean) | undefined> = {
  start: (p) => p.status === ProcessState.STARTING || p.status === ProcessState.RUNNING,
  stop: (p) =>
    p.status === ProcessState.CREATED ||
    p.status === ProcessState.FINISHED ||
    p.status === ProcessState.ERRORED ||
    p.status === ProcessState.EXHAUSTED,
  restart: undefined,
  block: (p) => p.blocked,
  unblock: (p) => !p.blocked,
};

const ALREADY: Record<ProcessAction, string> = {
  start: "already running",
  stop: "not running",
  restart: "",
  block: "already blocked",
  unblock: "not blocked",
};

function describe(p: ProcessInfo): string {
  return `${p.id} ${stateName(p.status)}${p.blocked ? " (blocked)" : ""}`;
}

/** A cluster entry is left alone when each of its instances in the answer is. */
function untouched(action: ProcessAction, after: ProcessInfo[], before: Map<string, ProcessInfo>) {
  const noop = NOTHING_TO_DO[action];
  const single = (p: ProcessInfo) => {
    const was = before.get(p.id);
    return noop !== undefined && was !== undefined && noop(was);
  };
  return (p: ProcessInfo): boolean => {
    if (p.type !== "cluster") return single(p);
    const members = after.filter(
      (m) => m.type !== "cluster" && memberIndex(p.id, Number.MAX_SAFE_INTEGER, m.id) !== undefined,
    );
    return members.length > 0 ? members.every(single) : single(p);
  };
}

/**
 * One line: `started web: web RUNNING` when the action did something to every process named,
 * `web is already running (pid 12)` when it had nothing to do, and both parts when some of them
 * were already as asked (`started all: a RUNNING; already running: b`).
 */
export function summarizeAction(
  action: ProcessAction,
  id: string,
  before: ProcessInfo[],
  after: ProcessInfo[],
): string {
  const was = new Map(before.map((p) => [p.id, p]));
  const isUntouched = untouched(action, after, was);
  const done = after.filter((p) => !isUntouched(p));
  const left = after.filter(isUntouched);
  if (left.length === 0) return `${PAST[action]} ${id}: ${after.map(describe).join(", ")}`;
  if (done.length === 0) {
    if (left.length === 1) {
      const p = left[0];
      if (action === "start" && p.pid !== undefined) return `${p.id} is already running (pid ${p.pid})`;
      if (action === "stop") return `${p.id} is not running (${stateName(p.status)})`;
      return `${p.id} is ${ALREADY[action]}`;
    }
    return `${id}: ${ALREADY[action]}: ${left.map((p) => p.id).join(", ")}`;
  }
  return `${PAST[action]} ${id}: ${done.map(describe).join(", ")}; ${ALREADY[action]}: ${left.map((p) => p.id).join(", ")}`;
}
