import net from "node:net";
import { after, type Timer } from "../common/timers.ts";
import { tcpProbe } from "../health/probe.ts";
import { type Backend, Relay, RelayList, type RelayPool } from "./relay.ts";
import { candidateOrder, eligibility, inRotation, mayHold, type Strategy } from "./strategy.ts";

export type { Backend } from "./relay.ts";

export interface LoadBalancerOptions {
  port: number;
  hostname?: string;
  strategy: Strategy;
  /** `name` (default "instance <n>") names the backend in logs and stats. */
  backends: Array<{ host: string; port: number; name?: string }>;
  /** How often backends marked down are probed, ms. Default 2000. */
  probeIntervalMs?: number;
  /** How long a client waits while every backend that could take it is drained, ms. Default 30 000. */
  holdTimeoutMs?: number;
  log: (severity: "info" | "warn" | "error", text: string) => void;
}

/** One backend in `stats()`. */
export interface BackendStats {
  name: string;
  port: number;
  running: boolean;
  /** Its last connection attempt succeeded. */
  up: boolean;
  healthy: boolean;
  drained: boolean;
  /** Gets new connections in normal operation: running, healthy and not drained. */
  inRotation: boolean;
  /** Connections open now (including those connecting). */
  open: number;
  /** Connections it accepted since the balancer started. */
  total: number;
  /** Attempts that failed: refused, timed out, or closed before answering. */
  failed: number;
}

export interface LoadBalancerStats {
  port: number;
  strategy: Strategy;
  /** Clients waiting for a backend to return to rotation. */
  held: number;
  /** Clients closed without an answer: every backend failed, or none came back in time. */
  dropped: number;
  backends: BackendStats[];
}

const DEFAULT_PROBE_INTERVAL_MS = 2000;
const DEFAULT_HOLD_TIMEOUT_MS = 30_000;

/**
 * A TCP load balancer in front of a cluster: each client connection is forwarded, byte for byte,
 * to one instance chosen by the strategy (see Relay for one connection's way). A backend that
 * refuses a connection is marked down and the next is tried; a periodic probe marks it up again
 * when it accepts. Backends leave the rotation (drained, unhealthy, not running) without losing
 * a connection they have.
 */
export class LoadBalancer implements RelayPool {
  readonly backends: Backend[];
  private server: net.Server | undefined;
  private cursor = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly relays = new RelayList();
  /** Relays waiting for a backend, with their deadlines. */
  private readonly held = new Map<Relay, NodeJS.Timeout>();
  private dropped = 0;
  /** Per backend: callbacks of drains waiting for its last connection to end. */
  private readonly drainWaiters = new Map<number, Set<() => void>>();

  constructor(private readonly options: LoadBalancerOptions) {
    this.backends = options.backends.map((b, i) => ({
      name: b.name ?? `instance ${i + 1}`,
      host: b.host,
      port: b.port,
      running: false,
      up: true,
      healthy: true,
      drained: false,
      connections: 0,
      total: 0,
      failed: 0,
    }));
  }

  get address(): net.AddressInfo | undefined {
    return (this.server?.address() as net.AddressInfo | null) ?? undefined;
  }

  listen(): Promise<void> {
    // Half-open both ways: a side that has sent its last byte still gets the whole answer.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) => {
        reject(
          new Error(
            err.code === "EADDRINUSE"
              ? `port ${this.options.port} is already in use`
              : `cannot listen on port ${this.options.port}: ${err.code ?? err.message}`,
          ),
        );
      });
      server.listen(this.options.port, this.options.hostname ?? "0.0.0.0", () => {
        server.removeAllListeners("error");
        server.on("error", (err) => this.options.log("error", `load balancer: ${err.message}`));
        this.probeTimer = setInterval(
          () => this.probe(),
          this.options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS,
        );
        this.probeTimer.unref();
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    const relay = new Relay(this, client);
    this.relays.add(relay);
    relay.dispatch();
  }

  // --- RelayPool: what one connection asks of the balancer -------------------------------------

  candidates(client: net.Socket): number[] {
    // The peer address costs a system call: only ip-hash asks for it.
    const address = () => client.remoteAddress ?? "";
    return candidateOrder(this.options.strategy, this.backends, address, this.cursor++);
  }

  hold(relay: Relay): boolean {
    if (!mayHold(this.backends)) return false;
    const timer = setTimeout(() => {
      this.options.log("warn", "no instance came back in time: a waiting client was closed");
      this.held.delete(relay);
      this.dropped++;
      relay.destroy();
    }, this.options.holdTimeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS);
    this.held.set(relay, timer);
    return true;
  }

  attemptFailed(index: number, reason: string): void {
    const backend = this.backends[index];
    backend.failed++;
    if (backend.up) this.options.log("warn", `${this.describe(index)} ${reason}; marked down`);
    backend.up = false;
  }

  connectionEnded(index: number): void {
    if (this.backends[index].connections > 0) return;
    const waiters = this.drainWaiters.get(index);
    if (!waiters) return;
    this.drainWaiters.delete(index);
    for (const done of waiters) done();
  }

  gaveUp(): void {
    this.dropped++;
  }

  finished(relay: Relay): void {
    this.relays.remove(relay);
    const timer = this.held.get(relay);
    if (timer) {
      clearTimeout(timer);
      this.held.delete(relay);
    }
  }

  log(severity: "error", text: string): void {
    this.options.log(severity, text);
  }

  // --- rotation: what the supervisor and a rolling restart tell the balancer ---------------------

  setRunning(index: number, running: boolean): void {
    const backend = this.backends[index];
    if (!backend || backend.running === running) return;
    backend.running = running;
    if (running) backend.up = true;
    this.releaseHeld();
  }

  /**
   * Health (SPEC §8.1): an unhealthy backend gets no new connection while another is in rotation;
   * the connections it has go on.
   */
  setHealthy(index: number, healthy: boolean): void {
    const backend = this.backends[index];
    if (!backend || backend.healthy === healthy) return;
    backend.healthy = healthy;
    if (backend.running) {
      const change = healthy ? "healthy: gets new connections" : "not healthy: gets no new connections";
      this.options.log(healthy ? "info" : "warn", `${this.describe(index)} ${change}`);
    }
    this.releaseHeld();
  }

  /**
   * Take a backend out of rotation: it gets no new connection, and those it has go on. Resolves
   * with 0 once they have all ended, or, `timeoutMs` having passed first, with the number still
   * open (which are left alone: stopping the instance ends them).
   */
  drain(index: number, timeoutMs = Number.POSITIVE_INFINITY): Promise<number> {
    const backend = this.backends[index];
    if (!backend) return Promise.resolve(0);
    if (!backend.drained) {
      backend.drained = true;
      this.options.log(
        "info",
        `${this.describe(index)} out of rotation (draining ${backend.connections} connection${backend.connections === 1 ? "" : "s"})`,
      );
    }
    if (backend.connections === 0) return Promise.resolve(0);
    return new Promise((resolve) => {
      const waiters = this.drainWaiters.get(index) ?? new Set();
      this.drainWaiters.set(index, waiters);
      let timer: Timer | undefined;
      const done = () => {
        timer?.cancel();
        waiters.delete(done);
        resolve(backend.connections);
      };
      waiters.add(done);
      // Grace period plus terminate timeout, which may be longer than setTimeout takes.
      if (Number.isFinite(timeoutMs)) timer = after(timeoutMs, done);
    });
  }

  /**
   * Put a drained backend back in rotation (the core calls this once the instance serves again).
   * A drain still waiting resolves with the connections left.
   */
  restore(index: number): void {
    const backend = this.backends[index];
    if (!backend) return;
    if (backend.drained) {
      backend.drained = false;
      this.options.log("info", `${this.describe(index)} back in rotation`);
    }
    const waiters = this.drainWaiters.get(index);
    this.drainWaiters.delete(index);
    for (const done of waiters ?? []) done();
    this.releaseHeld();
  }

  /** Held clients try again once some backend can take them. */
  private releaseHeld(): void {
    if (this.held.size === 0 || !eligibility(this.backends)) return;
    const relays = [...this.held.keys()];
    for (const relay of relays) {
      clearTimeout(this.held.get(relay));
      this.held.delete(relay);
    }
    for (const relay of relays) relay.dispatch();
  }

  stats(): LoadBalancerStats {
    return {
      port: this.address?.port ?? this.options.port,
      strategy: this.options.strategy,
      held: this.held.size,
      dropped: this.dropped,
      backends: this.backends.map((b) => ({
        name: b.name,
        port: b.port,
        running: b.running,
        up: b.up,
        healthy: b.healthy,
        drained: b.drained,
        inRotation: inRotation(b),
        open: b.connections,
        total: b.total,
        failed: b.failed,
      })),
    };
  }

  private describe(index: number): string {
    const backend = this.backends[index];
    return `${backend.name} (port ${backend.port})`;
  }

  /** Try to connect to every running backend marked down; mark it up if it accepts. */
  private probe(): void {
    this.backends.forEach((backend) => {
      if (backend.up || !backend.running) return;
      void tcpProbe(
        backend.host,
        backend.port,
      )(this.options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS).then((result) => {
        if (result.ok) backend.up = true;
      });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.probeTimer);
    for (const relay of this.relays.toArray()) relay.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
