import { ProcessState, STOPPED_STATES } from "./states.ts";

/**
 * Pure decisions of the supervisor: given what happened and the configuration, what should be
 * done. No I/O and no clocks here, so every rule is unit-testable.
 */

export type StartReason =
  | "manual"
  | "autostart"
  | "cron"
  | "watch"
  | "restart"
  | "auto-restart"
  | "dependencies"
  | "reload";
export type StopReason =
  | "manual"
  | "terminating"
  | "timeout"
  | "scheduled"
  | "watch"
  | "restart"
  | "unhealthy"
  | "memory"
  | "reload";

export interface RestartPolicy {
  restart?: "always" | "error";
  autostart: boolean;
  watch?: string[];
  restartDelayMs: number;
  restartLimit?: number;
  /** Cap of the doubling delay (SPEC §8.2); without it every delay is restartDelayMs. */
  restartBackoffMaxMs?: number;
}

/** `restart` as configured, or the derived default: "always" with autostart or watch, else none. */
export function effectiveRestart(policy: RestartPolicy): "always" | "error" | undefined {
  if (policy.restart) return policy.restart;
  if (policy.autostart || (policy.watch && policy.watch.length > 0)) return "always";
  return undefined;
}

/**
 * The delay before automatic restart number `restarts + 1`: restartDelayMs, doubled for each
 * consecutive automatic restart up to restartBackoffMaxMs (100, 200, 400, 800, 1600, 1600… for
 * 100 and 1600).
 */
export function restartDelay(policy: RestartPolicy, restarts: number): number {
  const cap = policy.restartBackoffMaxMs;
  if (cap === undefined) return policy.restartDelayMs;
  if (policy.restartDelayMs === 0) return 0;
  // 2^31 already exceeds any cap a timer can mean; stop doubling there.
  const doubled = policy.restartDelayMs * 2 ** Math.min(restarts, 31);
  return Math.min(doubled, Math.max(cap, policy.restartDelayMs));
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
  /** Automatic restarts since the last manual, cron or watch start (or the last reset). */
  restarts: number;
}

/**
 * What to do when a child has exited.
 * - A manual stop, a shutdown, or a stop that is part of a restart never restarts here.
 * - A timeout or a `terminate` schedule is a planned stop: with restart "always" the process
 *   comes back (a scheduled restart) without counting against `restartLimit`, which guards
 *   against crash loops only.
 * - A stop for failed health checks or too much memory is a restart that counts, whatever the
 *   restart policy (the health check's `restart`, or `maxMemoryMb`, asked for it); it starts
 *   again at once: the probes or samples that led to it already took their time.
 * - Otherwise the restart policy decides, and `restartLimit` turns a crash loop into EXHAUSTED.
 */
export function afterExit({ policy, facts, blocked, restarts }: AfterExitInput): AfterExit {
  const reason = facts.stopReason;
  if (
    reason === "manual" ||
    reason === "terminating" ||
    reason === "reload" ||
    reason === "restart" ||
    reason === "watch"
  ) {
    return { action: "stay" };
  }
  if (blocked) return { action: "stay" };
  const exhausted = policy.restartLimit !== undefined && restarts >= policy.restartLimit;
  if (reason === "unhealthy" || reason === "memory") {
    return exhausted ? { action: "exhaust" } : { action: "restart", delayMs: 0, counts: true };
  }
  const restart = effectiveRestart(policy);
  if (restart === undefined) return { action: "stay" };
  const state = exitState(facts);
  const planned = reason === "timeout" || reason === "scheduled";
  if (restart === "error" && state !== ProcessState.ERRORED) return { action: "stay" };
  if (planned) return { action: "restart", delayMs: policy.restartDelayMs, counts: false };
  if (exhausted) return { action: "exhaust" };
  return { action: "restart", delayMs: restartDelay(policy, restarts), counts: true };
}

/** What a start request leads to, from the state the process is in. */
export type StartDecision =
  | { action: "launch" }
  /** A further run beside the current one (cron with `overrun`). */
  | { action: "overrun" }
  /** A stop is under way: start once it is over (the last command wins). */
  | { action: "after-stop" }
  | { action: "refuse"; why: "blocked" | "running" };

/**
 * Starts are allowed from the stopped states; while running only a cron start with `overrun`
 * adds a run; while stopping, a start someone asked for (by hand, restart, watch) waits for the
 * stop to end and then happens, and automatic ones are dropped.
 */
export function decideStart(input: {
  reason: StartReason;
  blocked: boolean;
  state: number;
  overrun: boolean;
}): StartDecision {
  const { reason, state } = input;
  if (input.blocked) return { action: "refuse", why: "blocked" };
  if (STOPPED_STATES.has(state)) return { action: "launch" };
  if (state === ProcessState.RUNNING && input.overrun && reason === "cron") return { action: "overrun" };
  if (
    state === ProcessState.STOPPING &&
    (reason === "manual" || reason === "restart" || reason === "watch")
  ) {
    return { action: "after-stop" };
  }
  return { action: "refuse", why: "running" };
}

/** Manual, cron and watch starts reset the automatic-restart count. */
export function resetsRestartCount(reason: StartReason): boolean {
  return (
    reason === "manual" ||
    reason === "cron" ||
    reason === "watch" ||
    reason === "restart" ||
    reason === "reload"
  );
}

/** A stop that a later start may not undo: the last command wins. */
export function isFinalStop(reason: StopReason): boolean {
  return reason === "manual" || reason === "terminating" || reason === "reload";
}

/** A stronger reason replaces a weaker one while a stop is under way. */
export function strongerStop(current: StopReason | null, next: StopReason): StopReason {
  if (current === null) return next;
  return isFinalStop(next) && !isFinalStop(current) ? next : current;
}
