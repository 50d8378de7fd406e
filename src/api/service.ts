import { randomBytes } from "node:crypto";
import dns from "node:dns/promises";
import { rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { UserError } from "../common/errors.ts";
import { hostPort, reachableHost } from "../common/net.ts";
import { makePrivate, PRIVATE_FILE_MODE } from "../common/private-files.ts";
import type { PupConfig } from "../config/schema.ts";
import type { InstanceContext, InstanceService } from "../instance/instance.ts";
import type { StreamLimits } from "./event-stream.ts";
import { LogEntryCount } from "./log-count.ts";
import type { Scope } from "./scopes.ts";
import { ensureSecret } from "./secret.ts";
import type { ApiServer } from "./server.ts";
import { signToken } from "./sign.ts";
import { childConsumer } from "./tokens.ts";

/**
 * Lifetime of the token each child gets in PUP_API_TOKEN. A child cannot be handed a new one while
 * it runs, and services run for months, so the lifetime stays long; what bounds a leaked token is
 * its scopes (its own process's telemetry, log entries, IPC), its `run` claim (valid only in the
 * run of the instance that issued it, which its children never outlive), and `api.revoked`.
 * Signed anew daily, so that a new start gets a full lifetime.
 */
const CHILD_TOKEN_SECONDS = 365 * 24 * 3600;
const CHILD_TOKEN_REFRESH_MS = 24 * 3600 * 1000;
/** What a child's token may do (SPEC §2.3). */
const CHILD_SCOPES: Scope[] = ["telemetry", "log"];

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\./.test(hostname);
}

async function localhostAddresses(): Promise<string[]> {
  const found = await dns.lookup("localhost", { all: true });
  return [...new Set(found.map((a) => a.address))];
}

/** Why the API cannot listen, in one line that says which setting to change. */
function listenFailure(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = hostPort(host, port);
  switch (err.code) {
    case "EADDRINUSE":
      return `REST API: ${where} is already in use (api.port); choose another port or stop the program that uses it`;
    case "EACCES":
      return `REST API: port ${port} needs privileges this user lacks (api.port); choose a port above 1023`;
    case "EADDRNOTAVAIL":
      return `REST API: ${host} is not an address of this machine (api.hostname); use one of its addresses, or 127.0.0.1`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NONAME":
      return `REST API: the host name "${host}" does not resolve (api.hostname); use an address of this machine, such as 127.0.0.1`;
    default:
      return `REST API: cannot listen on ${where} (${err.code ?? err.message}); check api.hostname and api.port`;
  }
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new UserError(listenFailure(err, host, port)));
    server.once("error", onError);
    server.listen({ host, port }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/**
 * The REST API of an instance (SPEC §5): listens on `api.hostname:api.port`, writes the port
 * file, and gives each child its API address and a telemetry token.
 *
 * Starting it only binds the socket: the HTTP stack (Fastify, compiled route schemas, OpenAPI,
 * WebSocket, Prometheus metrics) is loaded when the first connection comes, which waits for it,
 * so an instance nobody asks never pays its start-up time or its memory. With plugins, which
 * call the API as soon as they start, it is loaded at once.
 */
export class ApiService implements InstanceService {
  readonly name = "REST API";

  /** `stream`: the event stream's bounds, when not the defaults. */
  constructor(private readonly options: { stream?: StreamLimits } = {}) {}

  private readonly listeners: net.Server[] = [];
  private portFile: string | undefined;
  private port = 0;
  private readonly childTokens = new Map<string, string>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private createServer: (() => Promise<ApiServer>) | undefined;
  /** The app, loading or loaded. */
  private server: Promise<ApiServer> | undefined;
  private ready: ApiServer | undefined;
  /** Connections accepted while the app loads. */
  private readonly waiting = new Set<net.Socket>();
  private stopping = false;
  private logError: (text: string) => void = () => {};
  /** `api.revoked` as set since the start, if it was. */
  private revoked: readonly string[] | undefined;
  /** This run of the instance, named in its children's tokens. */
  private readonly run = randomBytes(12).toString("base64url");

  async start(context: InstanceContext): Promise<void> {
    const opened = makePrivate(context.paths.secretFile, PRIVATE_FILE_MODE);
    if (opened) {
      context.logger.log(
        "warn",
        "rest",
        `the API secret was readable by others (${opened}): whoever read it can sign tokens with ` +
          "every scope; delete the file and restart pup to make a new one (every earlier token is then refused)",
      );
    }
    const secret = ensureSecret(context.paths.secretFile);
    const hostname = context.config.api?.hostname ?? "127.0.0.1";
    const logEntries = new LogEntryCount();
    context.logger.addSink(logEntries);
    this.logError = (text) => context.logger.log("error", "rest", text);
    this.createServer = async () => {
      const { createApiServer } = await import("./server.ts");
      return createApiServer({
        context,
        secret,
        port: () => this.port,
        logEntries,
        run: this.run,
        streamLimits: this.options.stream,
      });
    };

    // `localhost` is every address it names (127.0.0.1 and ::1), on one port, as Fastify binds it.
    const hosts = hostname === "localhost" ? await localhostAddresses() : [hostname];
    for (const host of hosts) {
      const listener = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
      const first = this.listeners.length === 0;
      try {
        await listen(listener, host, first ? (context.config.api?.port ?? 0) : this.port);
      } catch (err) {
        if (first) throw err;
        continue; // another address of localhost (no IPv6 here, say): the first one serves
      }
      this.listeners.push(listener);
      if (first) this.port = (listener.address() as net.AddressInfo).port;
    }
    this.portFile = context.paths.portFile;
    writeFileSync(this.portFile, String(this.port));

    // Signed at a child's first start (an HMAC: microseconds), then reused; renewed daily.
    this.refreshTimer = setInterval(() => this.childTokens.clear(), CHILD_TOKEN_REFRESH_MS);
    this.refreshTimer.unref();
    const childToken = (id: string) => {
      let token = this.childTokens.get(id);
      if (token === undefined) {
        token = signToken(secret, {
          consumer: childConsumer(id),
          expiresIn: CHILD_TOKEN_SECONDS,
          scopes: CHILD_SCOPES,
          run: this.run,
        });
        this.childTokens.set(id, token);
      }
      return token;
    };
    const childHost = reachableHost(hostname);
    context.addChildVariables((id) => ({
      PUP_API_HOSTNAME: childHost,
      PUP_API_PORT: String(this.port),
      PUP_API_TOKEN: childToken(id),
    }));

    const where = `http://${hostPort(hostname, this.port)}`;
    context.logger.log("info", "rest", `REST API listening on ${where} (also under ${where}/api)`);
    if (!isLoopback(hostname)) {
      context.logger.log(
        "warn",
        "rest",
        `WARNING: the REST API is bound to ${hostname}, reachable from other machines. ` +
          "Anyone with a valid token can control this instance; keep tokens short-lived, " +
          "and prefer api.hostname 127.0.0.1 behind a TLS proxy.",
      );
    }
    if ((context.config.plugins ?? []).length > 0) void this.load().catch(() => {});
  }

  /**
   * Refuse these consumers' tokens from now on and close their event streams: the whole
   * `api.revoked` list, as a reload of the configuration reads it.
   */
  setRevoked(names: readonly string[]): void {
    this.revoked = names;
    this.ready?.setRevoked(names);
  }

  /** A reload: `api.revoked` applies at once (hostname and port need a restart). */
  reconfigure(config: PupConfig): void {
    this.setRevoked(config.api?.revoked ?? []);
  }

  /** Whether the HTTP stack has been loaded (by a first connection, or for plugins). */
  get loaded(): boolean {
    return this.ready !== undefined;
  }

  /** Load and build the app once; a failed load is logged, and the next connection tries again. */
  private load(): Promise<ApiServer> {
    this.server ??= this.createServer!().then(
      (server) => {
        // The app's own server never listens: Node starts its header timeouts and connection
        // tracking (closeAllConnections) on `listening`.
        server.app.server.emit("listening");
        if (this.revoked) server.setRevoked(this.revoked);
        this.ready = server;
        return server;
      },
      (err: Error) => {
        this.server = undefined;
        this.logError(`REST API: cannot load the HTTP server: ${err.stack ?? err.message}`);
        throw err;
      },
    );
    return this.server;
  }

  private accept(socket: net.Socket): void {
    if (this.ready) {
      handOver(this.ready, socket);
      return;
    }
    this.waiting.add(socket);
    socket.on("error", destroyOnError);
    this.load().then(
      (server) => {
        for (const s of this.waiting) handOver(server, s);
        this.waiting.clear();
      },
      () => {
        for (const s of this.waiting) s.destroy();
        this.waiting.clear();
      },
    );
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.refreshTimer);
    if (this.portFile) rmSync(this.portFile, { force: true });
    // No new connections; resolves once every accepted one has closed.
    const closed = Promise.all(
      this.listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))),
    );
    for (const s of this.waiting) s.destroy();
    this.waiting.clear();
    const server = await this.server?.catch(() => undefined);
    if (server) {
      // Event-stream subscribers hear why the stream ends before their connections go.
      await server.app.close();
      server.app.server.closeAllConnections();
    }
    await closed;
  }
}

function destroyOnError(this: net.Socket): void {
  this.destroy();
}

/** Give an accepted connection to the app's HTTP server, as if it had accepted it itself. */
function handOver(server: ApiServer, socket: net.Socket): void {
  socket.off("error", destroyOnError);
  if (socket.destroyed) return;
  server.app.server.emit("connection", socket);
  socket.resume();
}
