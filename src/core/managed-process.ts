import { rmSync, writeFileSync } from "node:fs";
import type { ProcessLog } from "../logs/logger.ts";
import type { OutputHandler, Run } from "../runner/types.ts";
import {
  afterExit,
  checkStart,
  type ExitFacts,
  exitState,
  type RestartPolicy,
  resetsRestartCount,
  type StartReason,
  type StopReason,
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
}

export interface ProcessDeps {
  log: ProcessLog;
  /** Starts the child (process group or worker thread) with output going to `output`. */
  launch: (output: OutputHandler) => Run;
  output: OutputHandler;
  onStateChange: (old: number, now: number, process: ManagedProcess) => void;
  now?: () => Date;
}

export type StartResult = { started: true } | { started: false; why: "blocked" | "running" };

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });

/**
 * One supervised process: its state machine, its current run(s) and its timers. Every change of
 * state goes through `setState`, which checks the transition table and reports the change; the
 * decisions (restart or not, exhausted or not) are the pure functions of policy.ts.
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
  private pendingRestartReason: string | undefined;
  private telemetry: Telemetry | undefined;
  private usage: { cpu: number; rss: number } | undefined;

  /** The run the state describes; others exist only with `overrun`. */
  private current: Run | undefined;
  private readonly runs = new Set<Run>();
  private stopReason: StopReason | null = null;
  private restartTimer: NodeJS.Timeout | { cancel: () => void } | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
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
    if (this.pendingRestartReason) info.pendingRestartReason = this.pendingRestartReason;
    if (this.telemetry) info.telemetry = this.telemetry;
    if (this.usage && this.isActive) {
      info.cpu = this.usage.cpu;
      info.rss = this.usage.rss;
    }
    return info;
  }

  setTelemetry(telemetry: Telemetry): void {
    this.telemetry = telemetry;
  }

  setUsage(usage: { cpu: number; rss: number } | undefined): void {
    this.usage = usage;
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
   * Changes that keep the state (block, unblock, a cancelled restart, an overrun's new run) are
   * reported the same way.
   */
  private touched(): void {
    this.updatedAt = this.now();
    this.deps.onStateChange(this.state, this.state, this);
  }

  start(reason: StartReason): StartResult {
    const check = checkStart({
      reason,
      blocked: this.blocked,
      active: this.isActive,
      overrun: this.definition.overrun,
    });
    if (!check.ok) {
      if (reason !== "auto-restart" && check.why === "blocked") {
        this.deps.log("warn", "starting", `not started (${reason}): the process is blocked`);
      } else if (reason === "cron" && check.why === "running") {
        this.deps.log("info", "scheduler", "still running; this scheduled start is skipped (overrun is off)");
      }
      return { started: false, why: check.why };
    }
    this.cancelPendingRestart();
    if (resetsRestartCount(reason)) this.restarts = 0;
    this.launch(reason);
    return { started: true };
  }

  private launch(reason: StartReason): void {
    const overrunning = this.isActive;
    if (!overrunning) this.setState(ProcessState.STARTING);
    this.stopReason = null;
    this.deps.log("info", "starting", `starting (${reason}): ${this.definition.describe}`);
    const run = this.deps.launch(this.deps.output);
    this.runs.add(run);
    this.current = run;
    run.started.then(
      () => this.onStarted(run),
      () => {},
    );
    run.exited.then((exit) => this.onExit(run, exit.code, exit.signal, exit.spawnError));
  }

  private onStarted(run: Run): void {
    if (run !== this.current) return;
    this.startedAt = this.now();
    this.exitedAt = undefined;
    this.code = undefined;
    this.signal = undefined;
    if (this.definition.pidFile && run.pid !== undefined) {
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
    if (this.state === ProcessState.STARTING) this.setState(ProcessState.RUNNING);
    else if (this.state === ProcessState.RUNNING) this.touched(); // an overrun: a new pid and start
    if (this.definition.timeout !== undefined) {
      clearTimeout(this.timeoutTimer);
      this.timeoutTimer = setTimeout(() => {
        this.deps.log("info", "stopping", `has run for ${this.definition.timeout}s (timeout); stopping`);
        void this.stop("timeout");
      }, this.definition.timeout * 1000);
    }
  }

  private onExit(run: Run, code: number | null, signal: NodeJS.Signals | null, spawnError?: string): void {
    this.runs.delete(run);
    if (run !== this.current) {
      this.deps.log("info", "finished", `an overrun run exited (code ${code}, signal ${signal})`);
      return;
    }
    this.current = undefined;
    clearTimeout(this.timeoutTimer);
    if (this.definition.pidFile) rmSync(this.definition.pidFile, { force: true });

    const facts: ExitFacts = {
      code,
      signal,
      stopReason: this.stopReason,
      spawnFailed: spawnError !== undefined,
    };
    const next = exitState(facts);
    this.code = code ?? undefined;
    this.signal = signal ?? undefined;
    this.exitedAt = this.now();
    if (spawnError) this.deps.log("error", "errored", `could not start: ${spawnError}`);
    else if (next === ProcessState.FINISHED) {
      this.deps.log(
        "info",
        "finished",
        signal ? `finished (stopped by ${signal})` : `finished (code ${code})`,
      );
    } else {
      this.deps.log("error", "errored", `exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
    }
    this.setState(next);

    const decision = afterExit({
      policy: this.definition.policy,
      facts,
      blocked: this.blocked,
      restarts: this.restarts,
    });
    this.stopReason = null;
    if (decision.action === "exhaust") {
      this.deps.log(
        "warn",
        "errored",
        `restart limit reached (${this.definition.policy.restartLimit}); not restarting until started again`,
      );
      this.setState(ProcessState.EXHAUSTED);
    } else if (decision.action === "restart") {
      this.scheduleRestart(decision.delayMs, decision.counts);
    }
  }

  private scheduleRestart(delayMs: number, counts: boolean): void {
    this.pendingRestartReason = "restart";
    const fire = () => {
      this.restartTimer = undefined;
      this.pendingRestartReason = undefined;
      if (this.isActive) return;
      if (counts) this.restarts++;
      this.start("auto-restart");
    };
    if (delayMs > 0) {
      this.deps.log("info", "starting", `restarting in ${delayMs} ms`);
      this.restartTimer = setTimeout(fire, delayMs);
    } else {
      // setTimeout(0) waits at least 1 ms; an immediate runs right after this turn's I/O.
      const immediate = setImmediate(fire);
      this.restartTimer = { cancel: () => clearImmediate(immediate) };
    }
  }

  /** Returns whether a restart was pending. */
  private cancelPendingRestart(): boolean {
    if (this.restartTimer === undefined) return false;
    if ("cancel" in this.restartTimer) this.restartTimer.cancel();
    else clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.pendingRestartReason = undefined;
    return true;
  }

  /**
   * Stop every run: wait `terminateGracePeriod` for it to exit by itself, send SIGTERM to the
   * group, wait `terminateTimeout`, send SIGKILL. Resolves once everything has exited.
   */
  async stop(reason: StopReason): Promise<void> {
    const cancelled = reason !== "timeout" && reason !== "scheduled" && this.cancelPendingRestart();
    if (this.runs.size === 0) {
      // Not running: the restart that will not come is the only change to report.
      if (cancelled) this.touched();
      return;
    }
    const runs = [...this.runs];
    const allExited = Promise.all(runs.map((r) => r.exited)).then(() => true);
    if (this.state === ProcessState.STOPPING) {
      // A stop is under way; a stronger reason (manual over scheduled) wins for the decision after exit.
      if (reason === "manual" || reason === "terminating") this.stopReason = reason;
      await allExited;
      return;
    }
    this.stopReason = reason;
    if (this.state === ProcessState.STARTING || this.state === ProcessState.RUNNING) {
      this.setState(ProcessState.STOPPING);
    }
    clearTimeout(this.timeoutTimer);
    const { terminateGracePeriod, terminateTimeout } = this.definition;
    const waitFor = (seconds: number) => Promise.race([allExited, sleep(seconds * 1000).then(() => false)]);
    if (terminateGracePeriod > 0) {
      this.deps.log("info", "stopping", `stopping: waiting up to ${terminateGracePeriod}s for it to exit`);
      if (await waitFor(terminateGracePeriod)) return;
    }
    this.deps.log("info", "stopping", `stopping (${reason}): SIGTERM`);
    for (const run of runs) run.signal("SIGTERM");
    if (await waitFor(terminateTimeout)) return;
    this.deps.log("warn", "stopping", `still running ${terminateTimeout}s after SIGTERM: SIGKILL`);
    for (const run of runs) run.signal("SIGKILL");
    await allExited;
  }

  /** Stop (if running) and start again; also starts a process that was not running. */
  async restart(reason: "restart" | "watch"): Promise<StartResult> {
    if (this.blocked) return { started: false, why: "blocked" };
    await this.stop(reason);
    return this.start(reason);
  }

  block(quiet = false): void {
    if (this.blocked) return;
    this.blocked = true;
    this.cancelPendingRestart();
    if (!quiet) this.deps.log("info", "starting", "blocked: no start until unblocked");
    this.touched();
  }

  unblock(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.deps.log("info", "starting", "unblocked");
    this.touched();
  }
}
