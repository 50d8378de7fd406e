/**
 * How the load balancer picks an instance: pure functions of the backends' state, so every rule
 * can be tested without sockets.
 */
export type Strategy = "round-robin" | "least-connections" | "ip-hash";

export interface BackendState {
  /** The instance is RUNNING (per the supervisor). */
  running: boolean;
  /** The last connection attempt succeeded (or none failed since it started). */
  up: boolean;
  /** Open connections through the balancer. */
  connections: number;
}

/** FNV-1a: a stable, fast hash of the client's address. */
export function hashAddress(address: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    hash ^= address.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The order in which to try backends for one connection (indexes). Running instances come first
 * and only they are tried while any is running; among them those marked down go last, since a
 * refused connection may have been a moment's restart. `cursor` is the round-robin position.
 */
export function candidateOrder(
  strategy: Strategy,
  backends: ReadonlyArray<BackendState>,
  clientAddress: string,
  cursor: number,
): number[] {
  const n = backends.length;
  if (n === 0) return [];
  const anyRunning = backends.some((b) => b.running);
  const eligible = (i: number) => !anyRunning || backends[i].running;

  let start: number;
  if (strategy === "ip-hash") start = hashAddress(clientAddress) % n;
  else start = ((cursor % n) + n) % n;
  // Walk the ring from the strategy's starting point so that ip-hash stays sticky when another
  // instance goes down, and round-robin moves on by one per connection.
  const ring: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    if (eligible(i)) ring.push(i);
  }
  if (strategy === "least-connections") {
    ring.sort((a, b) => backends[a].connections - backends[b].connections);
  }
  const up = ring.filter((i) => backends[i].up);
  const down = ring.filter((i) => !backends[i].up);
  return [...up, ...down];
}
