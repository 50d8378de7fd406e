import type { StreamMessage } from "./types.ts";

export interface StreamHandlers {
  message(message: StreamMessage): void;
  /** Connected (true) or lost (false); after a loss it reconnects by itself. */
  connection(live: boolean): void;
  /** Called before each reconnection; false stops trying (e.g. the token was refused). */
  beforeReconnect(): Promise<boolean>;
}

/** The event stream (GET /wss), reconnected with a growing delay after a loss. */
export class EventStreamClient {
  private socket: WebSocket | undefined;
  private delay = 500;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly handlers: StreamHandlers,
  ) {}

  open(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.delay = 500;
      this.handlers.connection(true);
    };
    socket.onmessage = (event) => {
      this.handlers.message(JSON.parse(String(event.data)) as StreamMessage);
    };
    socket.onclose = () => {
      this.handlers.connection(false);
      if (this.closed) return;
      setTimeout(() => void this.reconnect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10_000);
    };
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    if (await this.handlers.beforeReconnect().catch(() => true)) this.open();
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }
}
