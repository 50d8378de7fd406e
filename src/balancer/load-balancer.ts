import net from "node:net";
import { type BackendState, candidateOrder, type Strategy } from "./strategy.ts";

export interface Backend extends BackendState {
  host: string;
  port: number;
}

export interface LoadBalancerOptions {
  port: number;
  hostname?: string;
  strategy: Strategy;
  backends: Array<{ host: string; port: number }>;
  /** How often backends marked down are probed, ms. */
  probeIntervalMs?: number;
  log: (severity: "info" | "warn" | "error", text: string) => void;
}

const CONNECT_TIMEOUT_MS = 3000;
/** Client bytes kept for replay to another backend until the first answer. */
const REPLAY_LIMIT = 64 * 1024;

/**
 * A TCP load balancer in front of a cluster: each client connection is forwarded, byte for byte,
 * to one instance chosen by the strategy. A backend that refuses a connection is marked down and
 * the next is tried; a periodic probe marks it up again when it accepts.
 */
export class LoadBalancer {
  readonly backends: Backend[];
  private server: net.Server | undefined;
  private cursor = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: LoadBalancerOptions) {
    this.backends = options.backends.map((b) => ({ ...b, running: false, up: true, connections: 0 }));
  }

  setRunning(index: number, running: boolean): void {
    const backend = this.backends[index];
    if (!backend) return;
    backend.running = running;
    if (running) backend.up = true;
  }

  get address(): net.AddressInfo | undefined {
    return (this.server?.address() as net.AddressInfo | null) ?? undefined;
  }

  listen(): Promise<void> {
    // Half-open both ways: a client that has sent everything (FIN) still gets the whole answer.
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
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
        this.probeTimer = setInterval(() => this.probe(), this.options.probeIntervalMs ?? 2000);
        this.probeTimer.unref();
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.once("close", () => this.sockets.delete(client));
    client.on("error", () => client.destroy());
    client.pause();
    const order = candidateOrder(
      this.options.strategy,
      this.backends,
      client.remoteAddress ?? "",
      this.cursor++,
    );
    this.tryBackends(client, order);
  }

  /**
   * Connect the client to the first backend in `order` that accepts. Until the backend has sent
   * its first byte, what the client sent is kept (up to REPLAY_LIMIT): if the backend dies before
   * answering (it accepted, then went away), the next backend gets the same bytes, so a dying
   * instance costs the client nothing. From the first byte on, the two sockets are piped to each
   * other and nothing looks at the bytes any more.
   */
  private tryBackends(client: net.Socket, order: number[], replay: Buffer[] = [], replayBytes = 0): void {
    const index = order.shift();
    if (index === undefined || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = this.backends[index];
    const upstream = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    let connected = false;
    let failed = false;
    const timer = setTimeout(() => upstream.destroy(new Error("connect timeout")), CONNECT_TIMEOUT_MS);

    const onClientData = (chunk: Buffer) => {
      replayBytes += chunk.length;
      if (replayBytes <= REPLAY_LIMIT) replay.push(chunk);
      else replay = [];
      if (!upstream.write(chunk)) client.pause();
    };
    const onUpstreamDrain = () => client.resume();
    const onClientEnd = () => upstream.end();
    const onClientClose = () => upstream.destroy();
    const detach = () => {
      client.off("data", onClientData);
      client.off("end", onClientEnd);
      client.off("close", onClientClose);
      upstream.off("drain", onUpstreamDrain);
      upstream.off("error", onError);
      upstream.off("close", onEarlyClose);
      upstream.off("end", onEarlyClose);
    };

    const retryOrFail = (reason: string) => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      detach();
      upstream.off("data", onAnswer);
      if (connected) backend.connections--;
      this.sockets.delete(upstream);
      upstream.destroy();
      const canReplay = replayBytes <= REPLAY_LIMIT && !client.destroyed;
      if (!canReplay) {
        client.destroy();
        return;
      }
      if (backend.up) {
        this.options.log("warn", `instance ${index + 1} (port ${backend.port}) ${reason}; marked down`);
      }
      backend.up = false;
      client.pause();
      this.tryBackends(client, order, replay, replayBytes);
    };
    const onError = (err: NodeJS.ErrnoException) => retryOrFail(`refused: ${err.code ?? err.message}`);
    const onEarlyClose = () => retryOrFail("closed the connection before answering");

    const onAnswer = (first: Buffer) => {
      upstream.off("data", onAnswer);
      detach();
      replay = [];
      // From here on, a failure of either side ends both.
      upstream.on("error", () => client.destroy());
      upstream.once("close", () => {
        backend.connections--;
        this.sockets.delete(upstream);
        client.end();
      });
      client.once("close", () => upstream.destroy());
      client.write(first);
      upstream.pipe(client);
      client.pipe(upstream);
    };

    upstream.on("error", onError);
    upstream.on("close", onEarlyClose);
    upstream.on("end", onEarlyClose);
    upstream.once("connect", () => {
      clearTimeout(timer);
      connected = true;
      backend.up = true;
      backend.connections++;
      this.sockets.add(upstream);
      for (const chunk of replay) upstream.write(chunk);
      // A client that half-closed during an earlier attempt: this backend must hear it too.
      if (client.readableEnded) upstream.end();
      client.on("data", onClientData);
      client.on("end", onClientEnd);
      client.on("close", onClientClose);
      upstream.on("drain", onUpstreamDrain);
      client.resume();
    });
    upstream.on("data", onAnswer);
  }

  /** Try to connect to every backend marked down; mark it up if it accepts. */
  private probe(): void {
    this.backends.forEach((backend) => {
      if (backend.up || !backend.running) return;
      const socket = net.connect({ host: backend.host, port: backend.port });
      socket.once("connect", () => {
        backend.up = true;
        socket.destroy();
      });
      socket.once("error", () => socket.destroy());
    });
  }

  async close(): Promise<void> {
    clearInterval(this.probeTimer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
