import type { WebSocket } from "ws";
import type { Supervisor } from "../core/supervisor.ts";
import type { CoreEvents } from "../core/types.ts";
import type { Logger } from "../logs/logger.ts";

/** The events the stream forwards from the supervising core, as they are named on the wire. */
const FORWARDED = [
  "process_status_changed",
  "process_scheduled",
  "process_scheduled_terminate",
  "process_watch",
  "process_telemetry",
  "process_health_changed",
  "terminating",
  "ipc",
] as const satisfies ReadonlyArray<keyof CoreEvents>;

export interface EventStreamOptions {
  supervisor: Supervisor;
  logger: Logger;
  /** The state object sent as `init` and, once a second, as `application_state`. */
  state: () => unknown;
  /** A subscriber with more than this many bytes unsent is disconnected. */
  maxBufferedBytes?: number;
  stateIntervalMs?: number;
  /** A subscriber that does not answer a ping within this time is dropped. */
  heartbeatMs?: number;
}

/**
 * `GET /wss` subscribers and what they receive: `{t, d}` messages for core events, log entries and
 * the application state. Each message is serialised once for everybody. A subscriber that cannot
 * keep up is disconnected rather than buffered without bound; one that vanished without closing is
 * found by the heartbeat.
 */
export class EventStream {
  private readonly subscribers = new Map<WebSocket, { alive: boolean }>();
  private readonly detach: Array<() => void> = [];
  private stateTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly maxBufferedBytes: number;

  constructor(private readonly options: EventStreamOptions) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  }

  /**
   * Listen to the core and the logger only while somebody is subscribed: a `log` listener makes
   * the logger build an entry for every line of a child's output.
   */
  private attach(): void {
    if (this.detach.length > 0) return;
    const { supervisor, logger } = this.options;
    for (const event of FORWARDED) {
      const listener = (data: unknown) => this.broadcast(event, data);
      supervisor.events.on(event, listener);
      this.detach.push(() => supervisor.events.off(event, listener));
    }
    const onLog = (entry: unknown) => this.broadcast("log", entry);
    logger.on("log", onLog);
    this.detach.push(() => logger.off("log", onLog));
  }

  private detachAll(): void {
    for (const d of this.detach.splice(0)) d();
  }

  get size(): number {
    return this.subscribers.size;
  }

  add(socket: WebSocket): void {
    this.attach();
    this.subscribers.set(socket, { alive: true });
    socket.on("pong", () => {
      const s = this.subscribers.get(socket);
      if (s) s.alive = true;
    });
    socket.on("close", () => this.remove(socket));
    socket.on("error", () => this.remove(socket));
    // Anything a subscriber sends is ignored; the stream is one-way.
    socket.on("message", () => {});
    this.send(socket, JSON.stringify({ t: "init", d: this.options.state() }));
    this.startTimers();
  }

  private remove(socket: WebSocket): void {
    this.subscribers.delete(socket);
    if (this.subscribers.size === 0) {
      this.stopTimers();
      this.detachAll();
    }
  }

  broadcast(t: string, d: unknown): void {
    if (this.subscribers.size === 0) return;
    const message = JSON.stringify({ t, d });
    for (const socket of [...this.subscribers.keys()]) this.send(socket, message);
  }

  private send(socket: WebSocket, message: string): void {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > this.maxBufferedBytes) {
      // Removed before logging: the log entry is itself broadcast.
      this.remove(socket);
      socket.terminate();
      this.options.logger.log(
        "warn",
        "rest",
        `event stream: disconnected a subscriber that fell behind (${socket.bufferedAmount} bytes unsent)`,
      );
      return;
    }
    socket.send(message);
  }

  private startTimers(): void {
    if (!this.stateTimer) {
      this.stateTimer = setInterval(
        () => this.broadcast("application_state", this.options.state()),
        this.options.stateIntervalMs ?? 1000,
      );
      this.stateTimer.unref();
    }
    if (!this.heartbeatTimer) {
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs ?? 30_000);
      this.heartbeatTimer.unref();
    }
  }

  private stopTimers(): void {
    clearInterval(this.stateTimer);
    clearInterval(this.heartbeatTimer);
    this.stateTimer = undefined;
    this.heartbeatTimer = undefined;
  }

  private heartbeat(): void {
    for (const [socket, s] of [...this.subscribers]) {
      if (!s.alive) {
        this.remove(socket);
        socket.terminate();
        continue;
      }
      s.alive = false;
      socket.ping();
    }
  }

  /** Stop forwarding and close every subscriber. */
  close(): void {
    this.detachAll();
    this.stopTimers();
    for (const socket of this.subscribers.keys()) socket.close(1001, "pup is shutting down");
    this.subscribers.clear();
  }
}
