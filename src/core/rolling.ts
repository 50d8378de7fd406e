import { UserError } from "../common/errors.ts";
import { sleep } from "../common/timers.ts";
import { tcpProbe } from "../health/probe.ts";
import type { ManagedProcess } from "./managed-process.ts";
import { ProcessState, stateName } from "./states.ts";

/**
 * What a cluster's load balancer lets the core do while it restarts the cluster one instance at
 * a time (SPEC §8.5). The balancer service implements it; the core only calls it.
 */
export interface Rotation {
  /**
   * Take instance `index` (0-based) out of rotation: no new connections go to it. Resolves when
   * its open connections have closed, or after `deadlineMs` with those still open.
   */
  drain(index: number, deadlineMs: number): Promise<void>;
  /** Back into rotation (the balancer still skips it while it is not running or not healthy). */
  restore(index: number): void;
}

/** A rolling restart stopped at an instance that did not come back; the others keep serving. */
export class RollingRestartError extends UserError {
  constructor(
    readonly instanceId: string,
    reason: string,
  ) {
    super(`rolling restart stopped at ${instanceId}: ${reason}`, 409);
  }
}

/** How long an instance may take to be back: 30 s, or what its health check needs when longer. */
export function readyTimeoutMs(member: ManagedProcess): number {
  const check = member.definition.healthcheck;
  const health = check ? check.startPeriodMs + (check.retries + 1) * check.intervalMs + check.timeoutMs : 0;
  return Math.max(30_000, health);
}

/**
 * Wait until a restarted instance serves again: RUNNING, its port accepting connections (when it
 * has one), and healthy (when checked). Throws why not, as soon as it is clear.
 */
export async function waitUntilServing(
  member: ManagedProcess,
  port: number | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const accepting = port === undefined ? undefined : tcpProbe("127.0.0.1", port);
  let portOpen = port === undefined;
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    const state = member.status;
    if (state !== ProcessState.STARTING && state !== ProcessState.RUNNING) {
      throw new RollingRestartError(member.id, `it is ${stateName(state)} after its restart`);
    }
    if (state === ProcessState.RUNNING && !portOpen) portOpen = (await accepting!(1000)).ok;
    if (portOpen && member.isReady) return;
    if (performance.now() > deadline) {
      const what = !portOpen ? `port ${port} did not accept connections` : "it did not become healthy";
      throw new RollingRestartError(member.id, `${what} within ${Math.round(timeoutMs / 1000)} s`);
    }
    await sleep(wait);
  }
}
