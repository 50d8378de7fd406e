import net from "node:net";
import type { BackendState } from "./strategy.ts";

/** A backend as the balancer keeps it: where it listens, its state, and its counters. */
export interface Backend extends BackendState {
  /** The instance's name in logs and stats ("web-2"). */
  name: string;
  host: string;
  port: number;
  /** Connections it accepted. */
  total: number;
  /** Attempts that failed: refused, timed out, or closed before answering. */
  failed: number;
}

/** What a relay needs from its balancer. */
export interface RelayPool {
  readonly backends: readonly Backend[];
  /** The backends to try for this client now, best first (see strategy.ts). */
  candidates(client: net.Socket): number[];
  /** Park the relay until a backend returns to rotation; false: no backend is expected back. */
  hold(relay: Relay): boolean;
  /** The attempt on backend `index` failed: mark it down (and say so). */
  attemptFailed(index: number, reason: string): void;
  /** A connection to backend `index` has ended (drains wait for these). */
  connectionEnded(index: number): void;
  /** No backend could take the client: it is closed without an answer. */
  gaveUp(relay: Relay): void;
  /** The relay is over: its client has closed. */
  finished(relay: Relay): void;
  log(severity: "error", text: string): void;
}

/**
 * Where one client connection is. Every change goes through `to`, checked against TRANSITIONS.
 * - choosing:  picking the next backend to try (or, none left, holding or giving up)
 * - held:      no backend can take it now, but one is expected back in rotation
 * - connecting: a TCP connect to a backend is under way (what the client sends meanwhile waits)
 * - awaiting:  connected; the client's bytes go to the backend and are kept for a replay
 *              elsewhere until the backend's first byte (up to REPLAY_LIMIT)
 * - relaying:  the backend has answered: bytes flow both ways, nothing is looked at any more
 * - closed:    the client has gone (or been sent away); a backend connection, if any, is ending
 */
type RelayState = "choosing" | "held" | "connecting" | "awaiting" | "relaying" | "closed";

const TRANSITIONS: Readonly<Record<RelayState, readonly RelayState[]>> = {
  choosing: ["connecting", "held", "closed"],
  held: ["choosing", "closed"],
  connecting: ["awaiting", "choosing", "closed"],
  awaiting: ["relaying", "choosing", "closed"],
  relaying: ["closed"],
  closed: [],
};

const CONNECT_TIMEOUT_MS = 3000;
/** Client bytes kept for replay to another backend until the first answer. */
const REPLAY_LIMIT = 64 * 1024;

/**
 * One client connection through the balancer: tries backends in turn until one answers, then
 * forwards bytes both ways until either side is done. Half-open both ways: a side that has sent
 * everything (FIN) still gets the whole answer. The same listeners serve every state, so the
 * switch from awaiting to relaying costs a change of state, not a set of listeners.
 */
export class Relay {
  state: RelayState = "choosing";
  /** Neighbours in the balancer's RelayList. */
  older: Relay | undefined;
  newer: Relay | undefined;
  private order: number[] = [];
  /** The backend of the current attempt, and its connection. */
  private index = -1;
  private upstream: net.Socket | undefined;
  /** Counted in the backend's `connections` (from the connect call until its connection ends). */
  private counted = false;
  /** What the client sent so far, for a replay; undefined once it is over REPLAY_LIMIT. */
  private replay: Buffer[] | undefined = [];
  private replayBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: RelayPool,
    readonly client: net.Socket,
  ) {
    listen(client, this, CLIENT_LISTENERS);
  }

  /** Start with a fresh list of candidates (at accept, and when released from held). */
  dispatch(): void {
    if (this.state === "held" && !this.to("choosing")) return;
    this.order = this.pool.candidates(this.client);
    this.next();
  }

  /** Close the client: the balancer stops, or it was held too long. */
  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
  }

  /**
   * Change state, or (a bug of ours) log the impossible change with its stack and end the
   * client's connection: one client pays for it, not every process of the instance.
   */
  private to(next: RelayState): boolean {
    if (!TRANSITIONS[this.state].includes(next)) {
      const error = new Error(`load balancer: a connection cannot go from ${this.state} to ${next}`);
      this.pool.log("error", error.stack ?? error.message);
      this.destroy();
      return false;
    }
    this.state = next;
    return true;
  }

  /** choosing: the next candidate, else wait for one, else give up on the client. */
  private next(): void {
    const index = this.order.shift();
    if (index !== undefined) {
      this.connect(index);
      return;
    }
    if (this.pool.hold(this)) {
      this.to("held");
      return;
    }
    this.giveUp();
  }

  private giveUp(): void {
    if (!this.to("closed")) return;
    this.pool.gaveUp(this);
    this.client.destroy();
  }

  private connect(index: number): void {
    if (!this.to("connecting")) return;
    const backend = this.pool.backends[index];
    this.index = index;
    this.counted = true;
    backend.connections++;
    const upstream = net.connect({
      host: backend.host,
      port: backend.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    this.upstream = upstream;
    listen(upstream, this, UPSTREAM_LISTENERS);
    this.timer = setTimeout(connectTimedOut, CONNECT_TIMEOUT_MS, this);
  }

  /**
   * The attempt failed before the backend answered: try the next backend with what the client
   * sent so far, unless it sent too much to replay or has gone.
   */
  private fail(reason: string): void {
    if (this.state !== "connecting" && this.state !== "awaiting") return;
    clearTimeout(this.timer);
    const upstream = this.upstream!;
    this.upstream = undefined;
    for (const [event, listener] of UPSTREAM_LISTENERS) upstream.off(event, listener);
    upstream.on("error", ignore);
    upstream.destroy();
    this.pool.attemptFailed(this.index, reason);
    this.release();
    if (this.client.destroyed) return;
    if (this.replay === undefined) {
      this.giveUp();
      return;
    }
    this.client.pause();
    if (this.to("choosing")) this.next();
  }

  /** The backend connection is over: uncount it, once. */
  private release(): void {
    if (!this.counted) return;
    this.counted = false;
    this.pool.backends[this.index].connections--;
    this.pool.connectionEnded(this.index);
  }

  /** The backend has answered: from here on its failures are the client's too. */
  private answered(): void {
    this.to("relaying");
    this.replay = undefined;
  }

  // --- what the sockets' listeners call ------------------------------------------------------

  connected(): void {
    clearTimeout(this.timer);
    if (!this.to("awaiting")) return;
    const backend = this.pool.backends[this.index];
    backend.up = true;
    backend.total++;
    const upstream = this.upstream!;
    for (const chunk of this.replay ?? []) upstream.write(chunk);
    // A client that half-closed during an earlier attempt: this backend must hear it too.
    if (this.client.readableEnded) upstream.end();
    else this.client.resume();
  }

  connectTimedOut(): void {
    this.fail(`did not accept within ${CONNECT_TIMEOUT_MS / 1000} s`);
  }

  clientData(chunk: Buffer): void {
    if (this.state === "relaying") {
      if (!this.upstream!.write(chunk)) this.client.pause();
      return;
    }
    if (this.state !== "awaiting") {
      // No backend yet: the chunk waits for the next one with the rest.
      this.replay?.push(chunk);
      this.replayBytes += chunk.length;
      this.client.pause();
      return;
    }
    if (this.replay !== undefined) {
      this.replayBytes += chunk.length;
      if (this.replayBytes <= REPLAY_LIMIT) this.replay.push(chunk);
      else this.replay = undefined;
    }
    if (!this.upstream!.write(chunk)) this.client.pause();
  }

  upstreamData(chunk: Buffer): void {
    if (this.state === "awaiting") this.answered();
    if (!this.client.write(chunk)) this.upstream!.pause();
  }

  clientDrain(): void {
    this.upstream?.resume();
  }

  upstreamDrain(): void {
    this.client.resume();
  }

  clientEnd(): void {
    // Before a connection, the next one is ended once connected (see connected()).
    if (this.state === "awaiting" || this.state === "relaying") finish(this.upstream!);
  }

  upstreamEnd(): void {
    if (this.state === "awaiting") {
      // A client that connected and left without a byte (a port check) was answered in kind.
      if (!this.client.readableEnded || this.replayBytes > 0) {
        this.fail("closed the connection before answering");
        return;
      }
      this.answered();
    }
    finish(this.client);
  }

  upstreamError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? err.message;
    if (this.state === "connecting") this.fail(`refused: ${code}`);
    else if (this.state === "awaiting") this.fail(`failed before answering: ${code}`);
    // Cut off mid-answer: the client must not take what it got for the whole answer.
    else this.client.resetAndDestroy();
  }

  upstreamClose(): void {
    if (this.state === "connecting" || this.state === "awaiting") {
      this.fail("closed the connection before answering");
      return;
    }
    this.release();
    // The backend is gone: whatever it sent is on its way; the client hears the end after it.
    if (!this.client.destroyed) this.client.end();
  }

  clientClose(hadError: boolean): void {
    clearTimeout(this.timer);
    // Both ways done: the backend's connection is ending by itself (what the client sent last
    // may still be on its way to it). Otherwise it goes with the client.
    const relaying = this.state === "relaying";
    const done = relaying && !hadError && this.client.readableEnded;
    if (this.state !== "closed") this.to("closed");
    // A client cut off mid-exchange is passed on as such, not as the end of what it sent.
    if (relaying && hadError) this.upstream?.resetAndDestroy();
    else if (!done) this.upstream?.destroy();
    this.pool.finished(this);
  }
}

/**
 * The live relays of a balancer (for its close), linked through the relays themselves: adding
 * and removing allocate nothing. A Set churned by every connection made each young-generation
 * GC take twice as long, which showed in the p99 of short connections.
 */
export class RelayList {
  private newest: Relay | undefined;

  add(relay: Relay): void {
    relay.older = this.newest;
    if (this.newest) this.newest.newer = relay;
    this.newest = relay;
  }

  remove(relay: Relay): void {
    if (relay.newer) relay.newer.older = relay.older;
    else if (this.newest === relay) this.newest = relay.older;
    if (relay.older) relay.older.newer = relay.newer;
    relay.older = relay.newer = undefined;
  }

  toArray(): Relay[] {
    const all: Relay[] = [];
    for (let r = this.newest; r; r = r.older) all.push(r);
    return all;
  }
}

/**
 * The other side has sent its last byte: send ours. When this side has nothing left to read
 * or write either, close it at once: close() sends the FIN and delivers what the kernel holds,
 * and saves the shutdown() and a second wakeup of a plain end().
 */
function finish(socket: net.Socket): void {
  if (socket.readableEnded && socket.writableLength === 0) socket.destroy();
  else socket.end();
}

function ignore(): void {}

/*
 * The sockets' listeners: functions shared by every connection that find their relay on the
 * socket, rather than a dozen closures per connection (fewer objects outlive a young-generation
 * garbage collection, which shows in the tail latency of short connections).
 */
const RELAY = Symbol("relay");
type Tagged = net.Socket & { [RELAY]?: Relay };
// biome-ignore lint/suspicious/noExplicitAny: each listener takes its event's arguments
type Listener = (this: net.Socket, ...args: any[]) => void;

function relayOf(socket: net.Socket): Relay {
  return (socket as Tagged)[RELAY]!;
}

function listen(socket: net.Socket, relay: Relay, listeners: ReadonlyArray<[string, Listener]>): void {
  (socket as Tagged)[RELAY] = relay;
  for (const [event, listener] of listeners) socket.on(event, listener);
}

function onClientData(this: net.Socket, chunk: Buffer): void {
  relayOf(this).clientData(chunk);
}
function onClientEnd(this: net.Socket): void {
  relayOf(this).clientEnd();
}
function onClientDrain(this: net.Socket): void {
  relayOf(this).clientDrain();
}
function onClientError(this: net.Socket): void {
  this.destroy();
}
function onClientClose(this: net.Socket, hadError: boolean): void {
  relayOf(this).clientClose(hadError);
}
function onConnect(this: net.Socket): void {
  relayOf(this).connected();
}
function onUpstreamData(this: net.Socket, chunk: Buffer): void {
  relayOf(this).upstreamData(chunk);
}
function onUpstreamEnd(this: net.Socket): void {
  relayOf(this).upstreamEnd();
}
function onUpstreamDrain(this: net.Socket): void {
  relayOf(this).upstreamDrain();
}
function onUpstreamError(this: net.Socket, err: NodeJS.ErrnoException): void {
  relayOf(this).upstreamError(err);
}
function onUpstreamClose(this: net.Socket): void {
  relayOf(this).upstreamClose();
}
function connectTimedOut(relay: Relay): void {
  relay.connectTimedOut();
}

const CLIENT_LISTENERS: ReadonlyArray<[string, Listener]> = [
  ["data", onClientData],
  ["end", onClientEnd],
  ["drain", onClientDrain],
  ["error", onClientError],
  ["close", onClientClose],
];

const UPSTREAM_LISTENERS: ReadonlyArray<[string, Listener]> = [
  ["connect", onConnect],
  ["data", onUpstreamData],
  ["end", onUpstreamEnd],
  ["drain", onUpstreamDrain],
  ["error", onUpstreamError],
  ["close", onUpstreamClose],
];
