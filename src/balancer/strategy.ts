/**
 * Where the load balancer may send a new connection, and in which order: pure functions of the
 * backends' state, so that every rule can be tested without sockets.
 */
import type { Strategy } from "../config/schema.ts";

export type { Strategy };

export interface BackendState {
  /** The instance is RUNNING (per the supervisor). */
  running: boolean;
  /** The last connection attempt succeeded (or none failed since it started). */
  up: boolean;
  /** Its health check passes (always true without a health check). */
  healthy: boolean;
  /** Taken out of rotation (a rolling restart): it keeps its connections but gets no new one. */
  drained: boolean;
  /** Open connections through the balancer, including those still connecting. */
  connections: number;
}

/** A backend that gets new connections in normal operation. */
export function inRotation(b: BackendState): boolean {
  return b.running && b.healthy && !b.drained;
}

/** Running but failing its health check: better than refusing while no instance is healthy. */
function runningNotDrained(b: BackendState): boolean {
  return b.running && !b.drained;
}

function notDrained(b: BackendState): boolean {
  return !b.drained;
}

/**
 * Which backends new connections may go to now, as a test of one backend; undefined: none.
 * 1. Those in rotation (running, healthy, not drained).
 * 2. None in rotation: the running ones that are not drained, healthy or not. A failing health
 *    check may be a slow or partial failure, a refused client is a certain one (Envoy's "panic
 *    mode" makes the same choice).
 * 3. None running at all: every backend not drained, since the supervisor's view may lag behind
 *    a start, and a refused attempt costs little.
 * A drained backend never gets a new connection: while it is the only one left, clients wait
 * for a backend to return (see `mayHold`). Nor does a backend that is not RUNNING while another
 * is (SPEC §7).
 */
export function eligibility(
  backends: ReadonlyArray<BackendState>,
): ((b: BackendState) => boolean) | undefined {
  if (backends.some(inRotation)) return inRotation;
  if (backends.some(runningNotDrained)) return runningNotDrained;
  if (!backends.some((b) => b.running) && backends.some(notDrained)) return notDrained;
  return undefined;
}

/**
 * Whether a client no backend can take now should wait for one rather than be closed: while a
 * backend is drained, it (or another) is expected back in rotation shortly.
 */
export function mayHold(backends: ReadonlyArray<BackendState>): boolean {
  return backends.some((b) => b.drained);
}

/** FNV-1a: a stable, fast hash of the client's address. */
function hashAddress(address: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    hash ^= address.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The order in which to try backends for one connection (indexes): the eligible ones (see
 * `eligibility`), those marked down last, since a refused connection may have been a moment's
 * restart. `cursor` is the round-robin position; `clientAddress` is only read by ip-hash.
 */
export function candidateOrder(
  strategy: Strategy,
  backends: ReadonlyArray<BackendState>,
  clientAddress: () => string,
  cursor: number,
): number[] {
  const n = backends.length;
  const eligible = eligibility(backends);
  if (n === 0 || !eligible) return [];
  const start = strategy === "ip-hash" ? hashAddress(clientAddress()) % n : ((cursor % n) + n) % n;
  // Walk the ring from the strategy's starting point so that ip-hash stays sticky when another
  // instance goes down, and round-robin moves on by one per connection.
  const up: number[] = [];
  const down: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    if (eligible(backends[i])) (backends[i].up ? up : down).push(i);
  }
  if (strategy === "least-connections") {
    // Stable: among equals, the ring order (which moves on per connection) decides.
    const fewest = (a: number, b: number) => backends[a].connections - backends[b].connections;
    up.sort(fewest);
    down.sort(fewest);
  }
  for (const i of down) up.push(i);
  return up;
}
