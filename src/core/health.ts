import { after, type Timer } from "../common/timers.ts";
import type { HealthcheckConfig } from "../config/schema.ts";
import { commandProbe, httpProbe, type Probe, type ProbeResult, tcpProbe } from "../health/probe.ts";

/** SPEC §8.1: `starting` (running, no success yet), `healthy`, `unhealthy`. */
export type Health = "starting" | "healthy" | "unhealthy";

export interface HealthState {
  health: Health;
  /** Consecutive failures that counted. */
  failures: number;
  /** The last probe's error, kept for the log and the event. */
  lastError?: string;
}

export const INITIAL_HEALTH: HealthState = { health: "starting", failures: 0 };

/**
 * The health after one probe (pure): a success makes the process healthy; a failure counts,
 * unless it came in the start period, and `retries` consecutive counted failures make it
 * unhealthy.
 */
export function afterProbe(
  state: HealthState,
  result: ProbeResult,
  options: { retries: number; inStartPeriod: boolean },
): HealthState {
  if (result.ok) return { health: "healthy", failures: 0 };
  if (options.inStartPeriod) return { ...state, lastError: result.error };
  const failures = state.failures + 1;
  return {
    health: failures >= options.retries ? "unhealthy" : state.health,
    failures,
    lastError: result.error,
  };
}

/** A cluster's health: `unhealthy` if any instance is, else `starting` if any is, else `healthy`. */
export function combinedHealth(values: ReadonlyArray<Health | undefined>): Health | undefined {
  const known = values.filter((v): v is Health => v !== undefined);
  if (known.length === 0) return undefined;
  if (known.includes("unhealthy")) return "unhealthy";
  if (known.includes("starting")) return "starting";
  return "healthy";
}

/** The probe a healthcheck describes, with `{port}` standing for the instance's port. */
export function probeFor(
  check: HealthcheckConfig,
  context: { port?: number; cwd: string; env: () => NodeJS.ProcessEnv },
): Probe {
  const fill = (text: string) =>
    context.port === undefined ? text : text.replaceAll("{port}", String(context.port));
  if (check.http !== undefined) return httpProbe(fill(check.http));
  if (check.tcp !== undefined) {
    const target = fill(check.tcp);
    const cut = target.lastIndexOf(":");
    const host = target.slice(0, cut).replace(/^\[(.*)\]$/, "$1");
    return tcpProbe(host, Number(target.slice(cut + 1)));
  }
  return (timeoutMs) => commandProbe(check.cmd!, context.cwd, context.env())(timeoutMs);
}

/**
 * Runs one process's probes while it runs: every `intervalMs` (counted from the start of the
 * previous probe), never two at once, the first one interval after the start. Each result goes
 * to `onResult`; what it means is decided by the process (afterProbe).
 */
export class HealthMonitor {
  private timer: Timer | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly probe: Probe,
    private readonly check: HealthcheckConfig,
    private readonly onResult: (result: ProbeResult) => void,
  ) {}

  start(): void {
    this.timer = after(this.check.intervalMs, () => this.run(), { unref: true });
  }

  private run(): void {
    if (this.stopped || this.running) return;
    this.running = true;
    const began = performance.now();
    void this.probe(this.check.timeoutMs).then((result) => {
      this.running = false;
      if (this.stopped) return;
      this.onResult(result);
      if (this.stopped) return;
      const wait = Math.max(0, this.check.intervalMs - (performance.now() - began));
      this.timer = after(wait, () => this.run(), { unref: true });
    });
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }
}
