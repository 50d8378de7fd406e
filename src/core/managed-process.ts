import { rmSync, writeFileSync } from "node:fs";
import { after, type Timer } from "../common/timers.ts";
import type { HealthcheckConfig } from "../config/schema.ts";
import type { ProbeResult } from "../health/probe.ts";
import type { ProcessLog } from "../logs/logger.ts";
import type { ExitInfo, OutputHandler, Run } from "../runner/types.ts";
import { afterProbe, type Health, type HealthState, INITIAL_HEALTH } from "./health.ts";
import {
  afterExit,
  decideStart,
  type ExitFacts,
  exitState,
  isFinalStop,
  type RestartPolicy,
  resetsRestartCount,
  type StartReason,
  type StopReason,
  strongerStop,
} from "./policy.ts";
import { ACTIVE_STATES, canTransition, ProcessState, stateName } from "./states.ts";
import type { ProcessInfo, ProcessType, Telemetry } from "./types.ts";

/** Everything one managed process needs to know about its definition, already resolved. */
export interface ProcessDefinition {
  id: string;
  type: Exclude<ProcessType, "cluster">;
  /** For messages: the command line or worker script. */
  describe: string;
  policy: RestartPolicy;
  overrun: boolean;
  /** Seconds. */
  timeout?: number;
  terminateGracePeriod: number;
  terminateTimeout: number;
  /** Absolute path, or undefined. */
  pidFile?: string;
  healthcheck?: HealthcheckConfig;
  /** Backoff and restart count start over after this long RUNNING (and healthy, if checked). */
  restartResetMs?: number;
  maxMemoryMb?: number;
}

/** What a run's health monitor needs from the process; started when the run is RUNNING. */
export interface HealthWatch {
  stop(): void;
}

export interface ProcessDeps {
  log: ProcessLog;
  /** Starts the child (process group or worker thread) with output going to `output`. */
  launch: (output: OutputHandler) => Run;
  output: OutputHandler;
  onStateChange: (old: number, now: number, process: ManagedProcess) => void;
  onHealthChange?: (old: Health | null, now: Health, reason: string, process: ManagedProcess) => void;
  /** Starts probing the running process; each result must come back through `probed`. */
  watchHealth?: (onResult: (result: ProbeResult) => void) => HealthWatch;
  now?: () => Date;
}

export type StartResult = { started: true } | { started: false; why: "blocked" | "running" | "stopped" };

/** Everything that can happen to a process, handled one at a time (see `dispatch`). */
type ProcessEvent =
  | { type: "start"; reason: StartReason; reply: (result: StartResult) => void }
  | { type: "stop"; reason: StopReason; done: () => void }
  | { type: "restart"; reason: "restart" | "watch"; reply: (result: StartResult) => void }
  | { type: "block"; quiet: boolean }
  | { type: "unblock" }
  | { type: "spawned"; run: Run }
  | { type: "exited"; run: Run; exit: ExitInfo }
  | { type: "restart-due"; counts: boolean }
  | { type: "stop-phase"; phase: "term" | "kill" }
  | { type: "probed"; run: Run; result: ProbeResult }
  | { type: "usage"; usage: { cpu: number; rss: number } | undefined }
  | { type: "reset-due" }
  | { type: "timeout-due" };

/** A start that waits for the stop under way (a restart, or a start that came while stopping). */
interface StartAfterStop {
  reason: StartReason;
  replies: Array<(result: StartResult) => void>;
}

const MIB = 1024 * 1024;

/**
 * One supervised process. Every command, child event and timer becomes an event of one queue,
 * handled one at a time by `handle`, each action checking the states it may run from
 * (decideStart, the transition table); a fault while handling an event is logged, puts the process
 * in ERRORED when nothing runs, and never escapes to the instance. Decisions (restart or not,
 * delays, health) are the pure functions of policy.ts and health.ts.
 */
export class ManagedProcess {
  private state: number = ProcessState.CREATED;
  private blocked = false;
  private restarts = 0;
  private code: number | undefined;
  private signal: string | undefined;
  private startedAt: Date | undefined;
  private exitedAt: Date | undefined;
  private updatedAt: Date;
  private pendingRestart: { reason: string; at: Date; timer: Timer } | undefined;
  private telemetry: Telemetry | undefined;
  private usage: { cpu: number; rss: number } | undefined;
  private health: HealthState | undefined;
  private healthWatch: HealthWatch | undefined;
  private memoryOver = 0;
  private cpuSecondsTotal = 0;

  /** The run the state describes; others exist only with `overrun`. */
  private current: Run | undefined;
  private readonly runs = new Set<Run>();
  private stopReason: StopReason | null = null;
  /** A stop's phases (grace, SIGTERM, SIGKILL) are under way; `stopTimer` arms the next. */
  private stopping = false;
  private stopTimer: Timer | undefined;
  private stopWaiters: Array<() => void> = [];
  private startAfterStop: StartAfterStop | undefined;
  private timeoutTimer: Timer | undefined;
  private resetTimer: Timer | undefined;

  private readonly queue: ProcessEvent[] = [];
  private handling = false;
  private readonly now: () => Date;

  constructor(
    readonly definition: ProcessDefinition,
    private readonly deps: ProcessDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.updatedAt = this.now();
  }

  get id(): string {
    return this.definition.id;
  }

  get status(): number {
    return this.state;
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  get isActive(): boolean {
    return ACTIVE_STATES.has(this.state);
  }

  /** Active, or due to start again by itself (a restart pending): a process meant to be running. */
  get meantToRun(): boolean {
    return this.isActive || this.pendingRestart !== undefined;
  }

  /** RUNNING, and healthy when it has a health check: what dependants and the balancer wait for. */
  get isReady(): boolean {
    return (
      this.state === ProcessState.RUNNING && (this.health === undefined || this.health.health === "healthy")
    );
  }

  get healthState(): Health | undefined {
    return this.health?.health;
  }

  /** Pids of the process groups this process has running (for resource sampling). */
  get pids(): number[] {
    const pids: number[] = [];
    for (const run of this.runs) if (run.pid !== undefined) pids.push(run.pid);
    return pids;
  }

  info(): ProcessInfo {
    const info: ProcessInfo = {
      id: this.id,
      type: this.definition.type,
      status: this.state,
      blocked: this.blocked,
      restarts: this.restarts,
      updated: this.updatedAt.toISOString(),
    };
    if (this.code !== undefined) info.code = this.code;
    if (this.signal !== undefined) info.signal = this.signal;
    if (this.current?.pid !== undefined) info.pid = this.current.pid;
    if (this.startedAt) info.started = this.startedAt.toISOString();
    if (this.exitedAt) info.exited = this.exitedAt.toISOString();
    if (this.pendingRestart) {
      info.pendingRestartReason = this.pendingRestart.reason;
      info.nextRestart = this.pendingRestart.at.toISOString();
    }
    if (this.health) info.health = this.health.health;
    if (this.telemetry) info.telemetry = this.telemetry;
    if (this.usage && this.isActive) {
      info.cpu = this.usage.cpu;
      info.rss = this.usage.rss;
    }
    return info;
  }

  /** New global terminate defaults reach a process that does not set its own (a reload). */
  setTerminateTimes(times: { terminateGracePeriod: number; terminateTimeout: number }): void {
    this.definition.terminateGracePeriod = times.terminateGracePeriod;
    this.definition.terminateTimeout = times.terminateTimeout;
  }

  setTelemetry(telemetry: Telemetry): void {
    this.telemetry = telemetry;
  }

  setUsage(usage: { cpu: number; rss: number; cpuSeconds?: number } | undefined): void {
    this.cpuSecondsTotal += usage?.cpuSeconds ?? 0;
    this.dispatch({ type: "usage", usage });
  }

  /** CPU seconds used by every run of the process and its descendants, as sampled. */
  get cpuSeconds(): number {
    return this.cpuSecondsTotal;
  }

  // --- commands: each is one event ---------------------------------------------------------------

  start(reason: StartReason): Promise<StartResult> {
    return new Promise((reply) => this.dispatch({ type: "start", reason, reply }));
  }

  /**
   * Stop every run: wait `terminateGracePeriod` for it to exit by itself, send SIGTERM to the
   * group, wait `terminateTimeout`, send SIGKILL. Resolves once everything has exited.
   */
  stop(reason: StopReason): Promise<void> {
    return new Promise((done) => this.dispatch({ type: "stop", reason, done }));
  }

  /** Stop (if running) and start again; also starts a process that was not running. */
  restart(reason: "restart" | "watch"): Promise<StartResult> {
    return new Promise((reply) => this.dispatch({ type: "restart", reason, reply }));
  }

  block(quiet = false): void {
    this.dispatch({ type: "block", quiet });
  }

  unblock(): void {
    this.dispatch({ type: "unblock" });
  }

  // --- the event boundary ------------------------------------------------------------------------

  /**
   * Events are handled one at a time, in order: one that arrives while another is handled (from
   * a listener of a state change, say) waits for it to finish.
   */
  private dispatch(event: ProcessEvent): void {
    this.queue.push(event);
    if (this.handling) return;
    this.handling = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        try {
          this.handle(next);
        } catch (err) {
          this.fault(err, next);
        }
      }
    } finally {
      this.handling = false;
    }
  }

  private handle(event: ProcessEvent): void {
    switch (event.type) {
      case "start":
        event.reply(this.onStart(event.reason));
        break;
      case "stop":
        this.onStop(event.reason, event.done);
        break;
      case "restart":
        this.onRestart(event.reason, event.reply);
        break;
      case "block":
        this.onBlock(event.quiet);
        break;
      case "unblock":
        this.onUnblock();
        break;
      case "spawned":
        this.onSpawned(event.run);
        break;
      case "exited":
        this.onExited(event.run, event.exit);
        break;
      case "restart-due":
        this.onRestartDue(event.counts);
        break;
      case "stop-phase":
        this.onStopPhase(event.phase);
        break;
      case "probed":
        this.onProbed(event.run, event.result);
        break;
      case "usage":
        this.onUsage(event.usage);
        break;
      case "reset-due":
        this.onResetDue();
        break;
      case "timeout-due":
        this.onStop("timeout", () => {});
        break;
    }
  }

  /** A fault of ours while handling `event`: logged with its stack; the instance carries on. */
  private fault(err: unknown, event: ProcessEvent): void {
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.deps.log("error", "errored", `internal error while handling "${event.type}": ${text}`);
    if (event.type === "start" || event.type === "restart") event.reply({ started: false, why: "stopped" });
    if (event.type === "stop") event.done();
    if (this.runs.size === 0 && this.isActive) {
      // Whatever the state machine was doing, nothing runs: say so rather than stay RUNNING.
      const old = this.state;
      this.state = ProcessState.ERRORED;
      this.updatedAt = this.now();
      this.endRunWatches();
      this.finishStop();
      this.deps.onStateChange(old, this.state, this);
    }
  }

  private setState(next: number): void {
    const old = this.state;
    if (!canTransition(old, next)) {
      throw new Error(`${this.id}: illegal state change ${stateName(old)} -> ${stateName(next)}`);
    }
    this.state = next;
    this.updatedAt = this.now();
    this.deps.onStateChange(old, next, this);
  }

  /**
   * Changes that keep the state (block, unblock, a cancelled restart, an overrun's new run, a
   * health change) are reported the same way.
   */
  private touched(): void {
    this.updatedAt = this.now();
    this.deps.onStateChange(this.state, this.state, this);
  }

  // --- starting ----------------------------------------------------------------------------------

  private onStart(reason: StartReason): StartResult {
    const decision = decideStart({
      reason,
      blocked: this.blocked,
      state: this.state,
      overrun: this.definition.overrun,
    });
    switch (decision.action) {
      case "refuse":
        if (decision.why === "blocked" && reason !== "auto-restart") {
          this.deps.log("warn", "starting", `not started (${reason}): the process is blocked`);
        } else if (reason === "cron" && decision.why === "running") {
          this.deps.log(
            "info",
            "scheduler",
            "still running; this scheduled start is skipped (overrun is off)",
          );
        }
        return { started: false, why: decision.why };
      case "after-stop":
        this.startAfterStop ??= { reason, replies: [] };
        this.startAfterStop.reason = reason;
        return { started: true };
      case "launch":
      case "overrun":
        this.cancelPendingRestart();
        if (resetsRestartCount(reason)) this.restarts = 0;
        this.launch(reason);
        return { started: true };
    }
  }

  private onRestart(reason: "restart" | "watch", reply: (result: StartResult) => void): void {
    if (this.blocked || this.runs.size === 0) {
      reply(this.blocked ? { started: false, why: "blocked" } : this.onStart(reason));
      return;
    }
    this.startAfterStop ??= { reason, replies: [] };
    this.startAfterStop.reason = reason;
    this.startAfterStop.replies.push(reply);
    this.onStop(reason, () => {});
  }

  private launch(reason: StartReason): void {
    if (!this.isActive) this.setState(ProcessState.STARTING);
    this.stopReason = null;
    this.deps.log("info", "starting", `starting (${reason}): ${this.definition.describe}`);
    const run = this.deps.launch(this.deps.output);
    this.runs.add(run);
    this.current = run;
    run.started.then(
      () => this.dispatch({ type: "spawned", run }),
      () => {},
    );
    run.exited.then((exit) => this.dispatch({ type: "exited", run, exit }));
  }

  private onSpawned(run: Run): void {
    if (run !== this.current || !this.runs.has(run)) return;
    this.startedAt = this.now();
    this.exitedAt = undefined;
    this.code = undefined;
    this.signal = undefined;
    this.writePidFile(run);
    if (this.state !== ProcessState.STARTING && this.state !== ProcessState.RUNNING) return; // a stop came first
    this.healthWatch?.stop();
    this.healthWatch = undefined;
    // Health starts with the run, so the change to RUNNING already shows `starting`.
    this.health = this.definition.healthcheck && this.deps.watchHealth ? { ...INITIAL_HEALTH } : undefined;
    if (this.state === ProcessState.STARTING) this.setState(ProcessState.RUNNING);
    else this.touched(); // an overrun: a new pid and start
    if (this.definition.timeout !== undefined) {
      this.timeoutTimer?.cancel();
      const seconds = this.definition.timeout;
      this.timeoutTimer = after(seconds * 1000, () => {
        this.deps.log("info", "stopping", `has run for ${seconds}s (timeout); stopping`);
        this.dispatch({ type: "timeout-due" });
      });
    }
    this.watchRun(run);
  }

  /** Health probes, the memory limit and the reset of the restart count, for a run now RUNNING. */
  private watchRun(run: Run): void {
    this.memoryOver = 0;
    if (this.health && this.deps.watchHealth) {
      this.deps.onHealthChange?.(null, this.health.health, "started", this);
      this.healthWatch = this.deps.watchHealth((result) => this.dispatch({ type: "probed", run, result }));
    }
    this.armReset();
  }

  private writePidFile(run: Run): void {
    if (!this.definition.pidFile || run.pid === undefined) return;
    try {
      writeFileSync(this.definition.pidFile, `${run.pid}\n`);
    } catch (err) {
      this.deps.log(
        "warn",
        "starting",
        `cannot write pidFile ${this.definition.pidFile}: ${(err as Error).message}`,
      );
    }
  }

  private removePidFile(): void {
    if (!this.definition.pidFile) return;
    try {
      rmSync(this.definition.pidFile, { force: true });
    } catch (err) {
      this.deps.log(
        "warn",
        "finished",
        `cannot remove pidFile ${this.definition.pidFile}: ${(err as Error).message}`,
      );
    }
  }

  // --- exits -------------------------------------------------------------------------------------

  private onExited(run: Run, exit: ExitInfo): void {
    if (!this.runs.delete(run)) return;
    if (run !== this.current) {
      this.deps.log("info", "finished", `an overrun run exited (code ${exit.code}, signal ${exit.signal})`);
      if (this.runs.size === 0) this.finishStop();
      return;
    }
    this.current = undefined;
    this.endRunWatches();
    this.removePidFile();

    const facts: ExitFacts = {
      code: exit.code,
      signal: exit.signal,
      stopReason: this.stopReason,
      spawnFailed: exit.spawnError !== undefined,
    };
    const next = exitState(facts);
    this.code = exit.code ?? undefined;
    this.signal = exit.signal ?? undefined;
    this.exitedAt = this.now();
    this.logExit(exit, next);
    this.setState(next);
    if (this.runs.size === 0) this.finishStop();
    this.stopReason = null;
    if (this.startAfterStop && this.runs.size === 0) this.startAfterStopped();
    else this.decideAfterExit(facts);
  }

  private logExit(exit: ExitInfo, next: number): void {
    if (exit.spawnError) this.deps.log("error", "errored", `could not start: ${exit.spawnError}`);
    else if (next === ProcessState.FINISHED) {
      const how = exit.signal ? `stopped by ${exit.signal}` : `code ${exit.code}`;
      this.deps.log("info", "finished", `finished (${how})`);
    } else {
      const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
      this.deps.log("error", "errored", `exited with ${how}`);
    }
  }

  private decideAfterExit(facts: ExitFacts): void {
    const decision = afterExit({
      policy: this.definition.policy,
      facts,
      blocked: this.blocked,
      restarts: this.restarts,
    });
    if (decision.action === "exhaust") {
      this.deps.log(
        "warn",
        "errored",
        `restart limit reached (${this.definition.policy.restartLimit}); not restarting until started again`,
      );
      this.setState(ProcessState.EXHAUSTED);
    } else if (decision.action === "restart") {
      this.scheduleRestart(decision.delayMs, decision.counts, facts.stopReason);
    }
  }

  /** The start a restart (or a start while stopping) was waiting for; unless a stop came after it. */
  private startAfterStopped(): void {
    const { reason, replies } = this.startAfterStop!;
    this.startAfterStop = undefined;
    const result = this.onStart(reason);
    for (const reply of replies) reply(result);
  }

  private endRunWatches(): void {
    this.timeoutTimer?.cancel();
    this.resetTimer?.cancel();
    this.healthWatch?.stop();
    this.healthWatch = undefined;
    this.health = undefined;
    this.memoryOver = 0;
  }

  private scheduleRestart(delayMs: number, counts: boolean, after_: StopReason | null): void {
    const reason = after_ === "unhealthy" ? "unhealthy" : after_ === "memory" ? "memory limit" : "restart";
    const timer = after(delayMs, () => this.dispatch({ type: "restart-due", counts }));
    this.pendingRestart = { reason, at: new Date(this.now().getTime() + delayMs), timer };
    if (delayMs > 0) {
      this.deps.log("info", "starting", `restarting in ${delayMs} ms`);
      this.touched();
    }
  }

  private onRestartDue(counts: boolean): void {
    if (!this.pendingRestart) return;
    this.pendingRestart = undefined;
    if (this.isActive) return;
    if (counts) this.restarts++;
    this.onStart("auto-restart");
  }

  /** Returns whether a restart was pending. */
  private cancelPendingRestart(): boolean {
    if (!this.pendingRestart) return false;
    this.pendingRestart.timer.cancel();
    this.pendingRestart = undefined;
    return true;
  }

  // --- stopping ----------------------------------------------------------------------------------

  private onStop(reason: StopReason, done: () => void): void {
    // The last command wins: a stop by hand (or the shutdown) cancels the start a restart planned.
    if (isFinalStop(reason) && this.startAfterStop) {
      for (const reply of this.startAfterStop.replies) reply({ started: false, why: "stopped" });
      this.startAfterStop = undefined;
    }
    const cancelled = reason !== "timeout" && reason !== "scheduled" && this.cancelPendingRestart();
    if (this.runs.size === 0) {
      if (cancelled) this.touched(); // the restart that will not come is the only change
      done();
      return;
    }
    this.stopWaiters.push(done);
    if (this.stopping) {
      this.stopReason = strongerStop(this.stopReason, reason);
      return;
    }
    this.stopping = true;
    this.stopReason = reason;
    if (this.state === ProcessState.STARTING || this.state === ProcessState.RUNNING) {
      this.setState(ProcessState.STOPPING);
    }
    this.timeoutTimer?.cancel();
    const grace = this.definition.terminateGracePeriod;
    if (grace > 0) {
      this.deps.log("info", "stopping", `stopping: waiting up to ${grace}s for it to exit`);
      this.stopTimer = after(grace * 1000, () => this.dispatch({ type: "stop-phase", phase: "term" }));
    } else {
      this.onStopPhase("term");
    }
  }

  private onStopPhase(phase: "term" | "kill"): void {
    if (!this.stopping) return;
    if (phase === "term") {
      this.deps.log("info", "stopping", `stopping (${this.stopReason}): SIGTERM`);
      for (const run of this.runs) run.signal("SIGTERM");
      const timeout = this.definition.terminateTimeout;
      this.stopTimer = after(timeout * 1000, () => this.dispatch({ type: "stop-phase", phase: "kill" }));
    } else {
      const timeout = this.definition.terminateTimeout;
      this.deps.log("warn", "stopping", `still running ${timeout}s after SIGTERM: SIGKILL`);
      for (const run of this.runs) run.signal("SIGKILL");
    }
  }

  /** Nothing runs any more: the stop (if any) is over. */
  private finishStop(): void {
    this.stopping = false;
    this.stopTimer?.cancel();
    this.stopTimer = undefined;
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const done of waiters) done();
  }

  // --- block -------------------------------------------------------------------------------------

  private onBlock(quiet: boolean): void {
    if (this.blocked) return;
    this.blocked = true;
    this.cancelPendingRestart();
    if (this.startAfterStop) {
      for (const reply of this.startAfterStop.replies) reply({ started: false, why: "blocked" });
      this.startAfterStop = undefined;
    }
    if (!quiet) this.deps.log("info", "starting", "blocked: no start until unblocked");
    this.touched();
  }

  private onUnblock(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.deps.log("info", "starting", "unblocked");
    this.touched();
  }

  // --- health, memory and the reset of the restart count ------------------------------------------

  private setHealth(next: HealthState, reason: string): void {
    const old = this.health?.health ?? null;
    this.health = next;
    if (old === next.health) return;
    this.deps.onHealthChange?.(old, next.health, reason, this);
    this.touched();
  }

  private onProbed(run: Run, result: ProbeResult): void {
    const check = this.definition.healthcheck;
    if (run !== this.current || this.state !== ProcessState.RUNNING || !this.health || !check) return;
    const sinceStart = this.now().getTime() - (this.startedAt?.getTime() ?? 0);
    const next = afterProbe(this.health, result, {
      retries: check.retries,
      inStartPeriod: sinceStart < check.startPeriodMs,
    });
    const was = this.health.health;
    this.setHealth(next, result.ok ? "probe succeeded" : result.error);
    if (next.health === was) return;
    if (next.health === "healthy") {
      this.deps.log("info", "health", was === "starting" ? "healthy" : "healthy again");
      this.armReset();
    } else {
      this.resetTimer?.cancel();
    }
    if (next.health !== "unhealthy") return;
    if (!check.restart) {
      this.deps.log("warn", "health", `unhealthy: ${next.lastError}`);
      return;
    }
    this.deps.log(
      "warn",
      "health",
      `unhealthy after ${next.failures} failed probes (${next.lastError}): restarting`,
    );
    this.onStop("unhealthy", () => {});
  }

  private onUsage(usage: { cpu: number; rss: number } | undefined): void {
    this.usage = usage;
    const limit = this.definition.maxMemoryMb;
    if (limit === undefined || !usage || this.state !== ProcessState.RUNNING) return;
    this.memoryOver = usage.rss > limit * MIB ? this.memoryOver + 1 : 0;
    if (this.memoryOver < 2) return;
    const mib = Math.round(usage.rss / MIB);
    this.deps.log("warn", "memory", `using ${mib} MiB, over maxMemoryMb ${limit} twice in a row: restarting`);
    this.onStop("memory", () => {});
  }

  /** After restartResetMs RUNNING (and healthy, if checked), backoff and the restart count start over. */
  private armReset(): void {
    const ms = this.definition.restartResetMs;
    this.resetTimer?.cancel();
    if (ms === undefined || !this.isReady) return;
    this.resetTimer = after(ms, () => this.dispatch({ type: "reset-due" }));
  }

  private onResetDue(): void {
    if (!this.isReady || this.restarts === 0) return;
    this.restarts = 0;
    this.touched();
  }
}
