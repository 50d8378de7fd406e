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
    const server = net.createServer((client) => this.accept(client));
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
   * instance costs the client nothing.
   */
  private tryBackends(client: net.Socket, order: number[], replay: Buffer[] = [], replayBytes = 0): void {
    const index = order.shift();
    if (index === undefined || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = this.backends[index];
    const upstream = net.connect({ host: backend.host, port: backend.port });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    let connected = false;
    let answered = false;
    let finished = false;
    const timer = setTimeout(() => upstream.destroy(new Error("connect timeout")), CONNECT_TIMEOUT_MS);

    const onClientData = (chunk: Buffer) => {
      if (!answered) {
        replayBytes += chunk.length;
        if (replayBytes <= REPLAY_LIMIT) replay.push(chunk);
        else replay = [];
      }
      if (!upstream.write(chunk)) client.pause();
    };
    const onClientEnd = () => upstream.end();
    const detachClient = () => {
      client.off("data", onClientData);
      client.off("end", onClientEnd);
      client.off("close", onClientClose);
    };
    const onClientClose = () => upstream.destroy();

    const retryOrFail = (reason: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      detachClient();
      if (connected) backend.connections--;
      this.sockets.delete(upstream);
      upstream.destroy();
      const canReplay = !answered && replayBytes <= REPLAY_LIMIT && !client.destroyed;
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

    upstream.on("error", (err: NodeJS.ErrnoException) => retryOrFail(`refused: ${err.code ?? err.message}`));
    upstream.on("close", () => {
      if (answered || finished) return;
      retryOrFail("closed the connection before answering");
    });
    upstream.once("connect", () => {
      clearTimeout(timer);
      connected = true;
      backend.up = true;
      backend.connections++;
      this.sockets.add(upstream);
      for (const chunk of replay) upstream.write(chunk);
      client.on("data", onClientData);
      client.on("end", onClientEnd);
      client.on("close", onClientClose);
      upstream.on("drain", () => client.resume());
      client.resume();
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!answered) {
        answered = true;
        replay = [];
        // From here on, a failure of either side ends both.
        upstream.on("close", () => {
          if (!finished) {
            finished = true;
            backend.connections--;
            this.sockets.delete(upstream);
            detachClient();
            client.end();
          }
        });
      }
      if (!client.write(chunk)) {
        upstream.pause();
        client.once("drain", () => upstream.resume());
      }
    });
    upstream.on("end", () => {
      if (answered) client.end();
    });
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
