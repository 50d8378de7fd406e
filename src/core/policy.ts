import { ProcessState } from "./states.ts";

/**
 * Pure decisions of the supervisor: given what happened and the configuration, what should be
 * done. No I/O and no clocks here, so every rule is unit-testable.
 */

export type StartReason = "manual" | "autostart" | "cron" | "watch" | "restart" | "auto-restart";
export type StopReason = "manual" | "terminating" | "timeout" | "scheduled" | "watch" | "restart";

export interface RestartPolicy {
  restart?: "always" | "error";
  autostart: boolean;
  watch?: string[];
  restartDelayMs: number;
  restartLimit?: number;
}

/** `restart` as configured, or the derived default: "always" with autostart or watch, else none. */
export function effectiveRestart(policy: RestartPolicy): "always" | "error" | undefined {
  if (policy.restart) return policy.restart;
  if (policy.autostart || (policy.watch && policy.watch.length > 0)) return "always";
  return undefined;
}

export interface ExitFacts {
  code: number | null;
  signal: string | null;
  /** The instance asked the process to stop (a stop, restart, timeout, schedule or shutdown). */
  stopReason: StopReason | null;
  /** The child could not be spawned at all. */
  spawnFailed: boolean;
}

/** FINISHED for a clean exit or a stop we asked for; ERRORED for anything else. */
export function exitState(facts: ExitFacts): typeof ProcessState.FINISHED | typeof ProcessState.ERRORED {
  if (facts.spawnFailed) return ProcessState.ERRORED;
  if (facts.stopReason !== null) return ProcessState.FINISHED;
  return facts.code === 0 && facts.signal === null ? ProcessState.FINISHED : ProcessState.ERRORED;
}

export type AfterExit =
  | { action: "stay" }
  | { action: "restart"; delayMs: number; counts: boolean }
  | { action: "exhaust" };

export interface AfterExitInput {
  policy: RestartPolicy;
  facts: ExitFacts;
  blocked: boolean;
  /** Automatic restarts since the last manual, cron or watch start. */
  restarts: number;
}

/**
 * What to do when a child has exited.
 * - A manual stop, a shutdown, or a stop that is part of a restart never restarts here.
 * - A timeout or a `terminate` schedule is a planned stop: with restart "always" the process
 *   comes back (a scheduled restart) without counting against `restartLimit`, which guards
 *   against crash loops only.
 * - Otherwise the restart policy decides, and `restartLimit` turns a crash loop into EXHAUSTED.
 */
export function afterExit({ policy, facts, blocked, restarts }: AfterExitInput): AfterExit {
  const reason = facts.stopReason;
  if (reason === "manual" || reason === "terminating" || reason === "restart" || reason === "watch") {
    return { action: "stay" };
  }
  if (blocked) return { action: "stay" };
  const restart = effectiveRestart(policy);
  if (restart === undefined) return { action: "stay" };
  const state = exitState(facts);
  const planned = reason === "timeout" || reason === "scheduled";
  if (restart === "error" && state !== ProcessState.ERRORED) return { action: "stay" };
  if (planned) return { action: "restart", delayMs: policy.restartDelayMs, counts: false };
  if (policy.restartLimit !== undefined && restarts >= policy.restartLimit) return { action: "exhaust" };
  return { action: "restart", delayMs: policy.restartDelayMs, counts: true };
}

/** Whether a start may proceed, and why not. */
export type StartCheck = { ok: true } | { ok: false; why: "blocked" | "running" };

export function checkStart(input: {
  reason: StartReason;
  blocked: boolean;
  active: boolean;
  overrun: boolean;
}): StartCheck {
  if (input.blocked) return { ok: false, why: "blocked" };
  if (input.active && !(input.overrun && input.reason === "cron")) return { ok: false, why: "running" };
  return { ok: true };
}

/** Manual, cron and watch starts reset the automatic-restart count. */
export function resetsRestartCount(reason: StartReason): boolean {
  return reason === "manual" || reason === "cron" || reason === "watch" || reason === "restart";
}
