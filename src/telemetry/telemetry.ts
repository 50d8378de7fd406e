import WebSocket from "ws";
import { PupClient } from "../client/client.ts";
import { hostPort } from "../common/net.ts";

export type IpcHandler = (eventData: unknown, sender: string) => void;

export interface PupTelemetryOptions {
  /** Seconds between memory reports; default 5. */
  intervalSeconds?: number;
  /** Defaults to process.env; the PUP_API_* and PUP_PROCESS_ID variables are read from it. */
  env?: NodeJS.ProcessEnv;
}

/**
 * For use inside a process that pup manages: reports the process's memory to the instance every
 * few seconds, and sends and receives IPC events. Outside pup (the variables are absent) every
 * method does nothing, so the same code runs with and without pup. Its timers and socket never
 * keep the process alive.
 */
export class PupTelemetry {
  readonly processId: string | undefined;
  private readonly client: PupClient | undefined;
  private readonly handlers = new Map<string, Set<IpcHandler>>();
  private timer: NodeJS.Timeout | undefined;
  private socket: WebSocket | undefined;
  private reconnectDelay = 500;
  private closed = false;

  constructor(options: PupTelemetryOptions | number = {}) {
    const opts = typeof options === "number" ? { intervalSeconds: options } : options;
    const env = opts.env ?? process.env;
    const { PUP_API_HOSTNAME: host, PUP_API_PORT: port, PUP_API_TOKEN: token, PUP_PROCESS_ID: id } = env;
    if (!host || !port || !token || !id) return;
    this.processId = id;
    this.client = new PupClient({ baseUrl: `http://${hostPort(host, port)}`, token, timeoutMs: 5000 });
    const everyMs = Math.max(1, opts.intervalSeconds ?? 5) * 1000;
    this.timer = setInterval(() => void this.report(), everyMs);
    this.timer.unref();
    void this.report();
  }

  /** Whether this process runs under pup (and so reports and receives). */
  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** Send one memory report now. */
  async report(): Promise<void> {
    if (!this.client || this.closed) return;
    try {
      await this.client.telemetry({
        sender: this.processId!,
        memory: process.memoryUsage(),
        sent: new Date().toISOString(),
        cwd: process.cwd(),
      });
    } catch {
      // The instance may be restarting; the next report will do.
    }
  }

  /** Send an IPC event to another managed process (or "*" for all of them). */
  async emit(targetProcessId: string, event: string, eventData?: unknown): Promise<void> {
    if (!this.client || this.closed) return;
    await this.client.ipc(targetProcessId, event, eventData ?? null);
  }

  /** Receive IPC events of this name sent to this process (or to "*"). */
  on(event: string, handler: IpcHandler): this {
    if (!this.client) return this;
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler);
    this.connect();
    return this;
  }

  off(event: string, handler: IpcHandler): this {
    this.handlers.get(event)?.delete(handler);
    return this;
  }

  private connect(): void {
    if (this.socket || this.closed || !this.client) return;
    const socket = new WebSocket(this.client.eventStreamUrl());
    this.socket = socket;
    socket.on("open", () => {
      this.reconnectDelay = 500;
      (socket as unknown as { _socket?: { unref?: () => void } })._socket?.unref?.();
    });
    socket.on("message", (raw) => {
      let message: {
        t?: string;
        d?: { sender?: string; target?: string; event?: string; eventData?: unknown };
      };
      try {
        message = JSON.parse(String(raw));
      } catch {
        return;
      }
      const d = message.d;
      if (message.t !== "ipc" || !d?.event) return;
      if (d.target !== this.processId && d.target !== "*") return;
      const sender = String(d.sender ?? "").replace(/^telemetry-/, "");
      for (const handler of this.handlers.get(d.event) ?? []) handler(d.eventData, sender);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.socket = undefined;
      if (this.closed) return;
      const retry = setTimeout(() => this.connect(), this.reconnectDelay);
      retry.unref();
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, 10_000);
    });
  }

  /** Stop reporting and listening. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.socket?.close();
    this.socket = undefined;
    this.handlers.clear();
  }
}
