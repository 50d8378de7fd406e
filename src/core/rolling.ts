import { UserError } from "../common/errors.ts";
import { sleep } from "../common/timers.ts";
import type { ClusterConfig } from "../config/schema.ts";
import { tcpProbe } from "../health/probe.ts";
import type { ManagedProcess, StartResult } from "./managed-process.ts";
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

/**
 * Whether a cluster redefined from `a` to `b` keeps its load balancer as it is (same ports,
 * instances and strategy): then a reload replaces its instances one at a time behind it.
 */
export function keepsBalancer(a: ClusterConfig | undefined, b: ClusterConfig | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.commonPort === b.commonPort &&
    a.startPort === b.startPort &&
    a.instances === b.instances &&
    a.strategy === b.strategy
  );
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
function readyTimeoutMs(member: ManagedProcess): number {
  const check = member.definition.healthcheck;
  const health = check ? check.startPeriodMs + (check.retries + 1) * check.intervalMs + check.timeoutMs : 0;
  return Math.max(30_000, health);
}

/**
 * Wait until a restarted instance serves again: RUNNING, its port accepting connections (when it
 * has one), and healthy (when checked). Throws why not, as soon as it is clear.
 */
async function waitUntilServing(
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

/** One step of a roll: instance `index` of a cluster, restarted, or replaced by a new definition. */
export interface RollStep {
  index: number;
  /** The process that serves now. */
  current: ManagedProcess;
  /** Its replacement (a reload's new definition); the same process for a restart. */
  next: ManagedProcess;
  rotation?: Rotation;
  /** The port it serves on, when it has one. */
  port?: number;
}

/**
 * Take an instance out of rotation, restart (or replace) it, and put it back once it serves.
 * The drain and the stop run together: the stop's grace period and terminate timeout are the
 * open connections' time (an app closes its idle keep-alive connections on SIGTERM, so waiting
 * for them before it would only wait out the deadline).
 */
export async function cycleInstance(step: RollStep): Promise<StartResult> {
  const { current, next, rotation, index } = step;
  const def = current.definition;
  const drained = rotation?.drain(index, (def.terminateGracePeriod + def.terminateTimeout) * 1000);
  try {
    let result: StartResult;
    if (current === next) {
      result = await current.restart("restart");
    } else {
      await current.stop("reload");
      current.block(true);
      result = await next.start("reload");
    }
    await drained;
    if (!result.started) throw new RollingRestartError(next.id, `it was not started again (${result.why})`);
    await waitUntilServing(next, step.port, readyTimeoutMs(next));
    return result;
  } finally {
    rotation?.restore(index);
  }
}
