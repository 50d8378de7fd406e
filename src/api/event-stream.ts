import type { WebSocket } from "ws";
import { after, type Timer } from "../common/timers.ts";
import type { CoreFacade } from "../core/facade.ts";
import type { CoreEvents } from "../core/types.ts";
import type { Logger } from "../logs/logger.ts";
import type { RenderGuard } from "./render-guard.ts";
import type { ApplicationState } from "./state.ts";
import { overCap } from "./stream-bounds.ts";
import { textFrame } from "./ws-frame.ts";

/** The events the stream forwards from the supervising core, as they are named on the wire. */
const FORWARDED = [
  "process_status_changed",
  "process_scheduled",
  "process_scheduled_terminate",
  "process_watch",
  "process_telemetry",
  "process_health_changed",
  "config_reloaded",
  "terminating",
] as const satisfies ReadonlyArray<keyof CoreEvents>;

/** Why the stream closes a subscriber: the WebSocket close code and reason it sends. */
const CLOSE = {
  shutdown: { code: 1001, reason: "pup is shutting down" },
  /** Policy violation: a subscriber must read what it is sent. */
  fellBehind: { code: 1008, reason: "fell behind" },
  /** As HTTP 401, in the range for applications: the token no longer admits the subscriber. */
  expired: { code: 4401, reason: "token expired" },
  revoked: { code: 4401, reason: "token revoked" },
} as const;

/**
 * After a close frame, how long a subscriber has to answer before its connection is cut: what a
 * dropped subscriber had unsent is held until then.
 */
const CLOSE_GRACE_MS = 1000;
/** How often subscribers get the application state. */
const STATE_INTERVAL_MS = 1000;

/** How much the stream keeps unsent before it disconnects subscribers that fall behind. */
export interface StreamLimits {
  /** A subscriber with more than this many bytes unsent is disconnected (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Past this many bytes unsent over all subscribers, the slowest are disconnected (default 32 MiB). */
  maxTotalBufferedBytes?: number;
  /** A subscriber that does not answer a ping within this time is dropped (default 30 s). */
  heartbeatMs?: number;
}

export interface EventStreamOptions extends StreamLimits {
  supervisor: CoreFacade;
  logger: Logger;
  /** The state object sent as `init` and, once a second, as `application_state`. */
  state: () => ApplicationState;
  guard: RenderGuard;
}

/** Who subscribes, as its token says. */
export interface Subscription {
  consumer: string;
  /** When the token expires (ms since the epoch): the stream is closed then. */
  expiresAtMs?: number;
  /**
   * Only `ipc` events addressed to this process (or to "*"): a child's own token. Null: only
   * those addressed to "*". Undefined: every event.
   */
  ipcFor?: string | null;
}

/** The TCP connection under a subscriber's WebSocket, which the stream writes its frames to. */
export interface Connection {
  write(data: Buffer): boolean;
  readonly destroyed: boolean;
}

interface Subscriber extends Subscription {
  socket: WebSocket;
  connection: Connection;
  /** Frames for it since the last flush, written together at the end of this turn of the loop. */
  pending: Buffer[];
  pendingBytes: number;
  alive: boolean;
  expiry?: Timer;
}

/**
 * `GET /wss` subscribers and what they receive: `{t, d}` messages for core events, log entries and
 * the application state. Each message is serialised and framed once for everybody; what a
 * subscriber gets in one turn of the event loop (a burst of a child's lines is a message each)
 * leaves in one write of those bytes. So what waits unsent is bytes, not a heap object per message
 * per subscriber, and its bounds are real: for each subscriber, and for all of them together (the
 * slowest go first). A subscriber that vanished without closing is found by the heartbeat; one
 * whose token expires or is revoked is closed.
 *
 * Data frames are written to the connection directly, beside `ws`, which still sends pings and
 * close frames (after the pending frames: see `end`); this needs the server without
 * permessage-deflate, as it is configured (server.ts).
 */
export class EventStream {
  private readonly subscribers = new Map<WebSocket, Subscriber>();
  /** Subscribers that receive every event (the others receive IPC only). */
  private full = 0;
  private readonly detachIpc: Array<() => void> = [];
  private readonly detachFull: Array<() => void> = [];
  private stateTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly maxBufferedBytes: number;
  private readonly maxTotalBufferedBytes: number;
  /** Subscribers disconnected for falling behind, logged together once the current send is over. */
  private droppedBehind: number[] = [];
  /** Subscribers with frames pending, flushed together at the end of this turn of the loop. */
  private flushing: Subscriber[] = [];
  /**
   * What all subscribers had unsent at the last count, plus what was queued since: when it passes
   * the total bound, the subscribers are counted again and the slowest dropped, within the turn.
   */
  private unsentEstimate = 0;

  constructor(private readonly options: EventStreamOptions) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.maxTotalBufferedBytes = options.maxTotalBufferedBytes ?? 32 * 1024 * 1024;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Bytes written to subscribers and not sent yet, over all of them. */
  get unsentBytes(): number {
    let total = 0;
    for (const s of this.subscribers.values()) total += this.unsent(s);
    return total;
  }

  /**
   * Listen to the core and the logger only while somebody is subscribed to them: a `log` listener
   * makes the logger build an entry for every line of a child's output. IPC alone (children's
   * own streams) listens to nothing else.
   */
  private attach(): void {
    const { supervisor, logger } = this.options;
    if (this.detachIpc.length === 0) {
      const onIpc = (data: CoreEvents["ipc"][0]) => this.deliverIpc(data);
      this.detachIpc.push(supervisor.subscribe("ipc", onIpc));
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs ?? 30_000);
      this.heartbeatTimer.unref();
    }
    if (this.full === 0 || this.detachFull.length > 0) return;
    for (const event of FORWARDED) {
      const listener = (data: unknown) => this.broadcast(event, data);
      this.detachFull.push(supervisor.subscribe(event, listener));
    }
    const onLog = (entry: unknown) => this.broadcast("log", entry);
    logger.on("log", onLog);
    this.detachFull.push(() => logger.off("log", onLog));
    this.stateTimer = setInterval(
      () => this.broadcast("application_state", this.options.state()),
      STATE_INTERVAL_MS,
    );
    this.stateTimer.unref();
  }

  private detach(): void {
    if (this.full === 0 && this.detachFull.length > 0) {
      for (const d of this.detachFull.splice(0)) d();
      clearInterval(this.stateTimer);
    }
    if (this.subscribers.size === 0 && this.detachIpc.length > 0) {
      for (const d of this.detachIpc.splice(0)) d();
      clearInterval(this.heartbeatTimer);
    }
  }

  /** A new subscriber, on `socket` (the WebSocket) over `connection` (its TCP socket). */
  add(socket: WebSocket, subscription: Subscription, connection: Connection): void {
    const subscriber: Subscriber = {
      ...subscription,
      socket,
      connection,
      pending: [],
      pendingBytes: 0,
      alive: true,
    };
    this.subscribers.set(socket, subscriber);
    if (subscription.ipcFor === undefined) this.full++;
    this.attach();
    socket.on("pong", () => {
      subscriber.alive = true;
    });
    socket.on("close", () => this.remove(socket));
    socket.on("error", () => this.remove(socket));
    // Anything a subscriber sends is ignored; the stream is one-way.
    socket.on("message", () => {});
    if (subscription.expiresAtMs !== undefined) {
      subscriber.expiry = after(
        subscription.expiresAtMs - Date.now(),
        () => this.end(socket, CLOSE.expired),
        {
          unref: true,
        },
      );
    }
    if (subscription.ipcFor === undefined) {
      const init = this.serialize("init", this.options.state());
      if (init) this.queue(subscriber, init);
    }
  }

  private remove(socket: WebSocket): void {
    const subscriber = this.subscribers.get(socket);
    if (!subscriber) return;
    this.subscribers.delete(socket);
    subscriber.pending = [];
    subscriber.pendingBytes = 0;
    subscriber.expiry?.cancel();
    if (subscriber.ipcFor === undefined) this.full--;
    this.detach();
  }

  /**
   * Close a subscriber's stream, telling it why, after what it was sent (unless it is dropped for
   * not reading it); cut it if it does not answer in time.
   */
  private end(socket: WebSocket, why: { code: number; reason: string }, detail = ""): void {
    const s = this.subscribers.get(socket);
    if (s && why !== CLOSE.fellBehind) this.write(s);
    this.remove(socket);
    socket.close(why.code, `${why.reason}${detail}`);
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Close the streams of these consumers (revoked in the configuration): at once. */
  revokeConsumers(names: Iterable<string>): void {
    const revoked = new Set(names);
    for (const [socket, s] of [...this.subscribers]) {
      if (revoked.has(s.consumer)) this.end(socket, CLOSE.revoked);
    }
  }

  /** A message for every subscriber of the full stream. */
  broadcast(t: string, d: unknown): void {
    if (this.full === 0) return;
    const message = this.serialize(t, d);
    if (message) this.sendAll(message, (s) => s.ipcFor === undefined);
  }

  private deliverIpc(d: CoreEvents["ipc"][0]): void {
    const message = this.serialize("ipc", d);
    if (!message) return;
    const target = d.target.toLowerCase();
    this.sendAll(
      message,
      (s) =>
        s.ipcFor === undefined || target === "*" || (s.ipcFor !== null && s.ipcFor.toLowerCase() === target),
    );
  }

  /** The message as a frame, once for everybody; a payload that cannot be written is repaired or skipped. */
  private serialize(t: string, d: unknown): Buffer | undefined {
    const { guard, logger } = this.options;
    const repair = (data: unknown): unknown => {
      if (t === "init" || t === "application_state") return guard.state(data as ApplicationState);
      if (t === "process_status_changed") {
        const change = data as CoreEvents["process_status_changed"][0];
        return { ...change, status: guard.status(change.status) };
      }
      return data;
    };
    try {
      return guard.render((data) => textFrame(Buffer.from(JSON.stringify({ t, d: data }))), d, repair);
    } catch (err) {
      // Not logged as an entry of its own while streaming entries: that one would be broadcast too.
      setImmediate(() =>
        logger.log("error", "rest", `event stream: a "${t}" event cannot be sent: ${(err as Error).message}`),
      );
      return undefined;
    }
  }

  private sendAll(frame: Buffer, wanted: (s: Subscriber) => boolean): void {
    for (const s of this.subscribers.values()) if (wanted(s)) this.queue(s, frame);
  }

  private queue(s: Subscriber, frame: Buffer): void {
    if (s.socket.readyState !== s.socket.OPEN) return;
    s.pending.push(frame);
    s.pendingBytes += frame.length;
    if (s.pending.length === 1 && this.flushing.push(s) === 1) setImmediate(() => this.flush());
    // A burst (a child's lines read at once) is bounded before the end of the turn too.
    const unsent = this.unsent(s);
    if (unsent > this.maxBufferedBytes) {
      this.dropBehind(s, unsent);
      return;
    }
    this.unsentEstimate += frame.length;
    if (this.unsentEstimate > this.maxTotalBufferedBytes) this.applyBounds();
  }

  /** What waits for a subscriber: written but not sent, and not written yet. */
  private unsent(s: Subscriber): number {
    return s.socket.bufferedAmount + s.pendingBytes;
  }

  private write(s: Subscriber): void {
    if (s.pending.length === 0) return;
    const bytes = s.pending.length === 1 ? s.pending[0] : Buffer.concat(s.pending, s.pendingBytes);
    s.pending = [];
    s.pendingBytes = 0;
    if (s.socket.readyState === s.socket.OPEN && !s.connection.destroyed) s.connection.write(bytes);
  }

  /** Write what this turn of the loop queued, then apply the bounds. */
  private flush(): void {
    const flushing = this.flushing;
    this.flushing = [];
    for (const s of flushing) this.write(s);
    this.applyBounds();
    this.reportDropped();
  }

  /** Drop subscribers over their own bound, then the slowest while all together are over theirs. */
  private applyBounds(): void {
    let total = 0;
    const buffered: Array<{ s: Subscriber; bytes: number }> = [];
    for (const s of [...this.subscribers.values()]) {
      const bytes = this.unsent(s);
      if (bytes > this.maxBufferedBytes) {
        this.dropBehind(s, bytes);
        continue;
      }
      total += bytes;
      buffered.push({ s, bytes });
    }
    if (total > this.maxTotalBufferedBytes) {
      for (const { s, bytes } of overCap(buffered, this.maxTotalBufferedBytes)) {
        this.dropBehind(s, bytes);
        total -= bytes;
      }
    }
    this.unsentEstimate = total;
  }

  private dropBehind(s: Subscriber, unsent: number): void {
    this.end(s.socket, CLOSE.fellBehind, `: ${unsent} bytes unsent`);
    this.droppedBehind.push(unsent);
  }

  /**
   * One warning for the subscribers just dropped, logged after the send that dropped them: the
   * entry is itself broadcast, and must not be sent while the subscribers are being walked.
   */
  private reportDropped(): void {
    if (this.droppedBehind.length === 0) return;
    const dropped = this.droppedBehind;
    this.droppedBehind = [];
    const most = Math.max(...dropped);
    setImmediate(() =>
      this.options.logger.log(
        "warn",
        "rest",
        `event stream: disconnected ${dropped.length === 1 ? "a subscriber" : `${dropped.length} subscribers`} ` +
          `that fell behind (up to ${most} bytes unsent)`,
      ),
    );
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

  /** Stop forwarding and close every subscriber, after what it was sent. */
  close(): void {
    for (const [socket, s] of [...this.subscribers]) {
      this.write(s);
      this.remove(socket);
      socket.close(CLOSE.shutdown.code, CLOSE.shutdown.reason);
    }
  }
}
