/**
 * A typed client of pup's REST API (SPEC §5), for the CLI, the telemetry library, plugins and the
 * dashboard. By default it needs only `fetch`, so it works in Node.js and in browsers; the CLI
 * passes a `node:http` transport instead (./node-http.ts), which starts several times faster.
 */
import type { ApplicationState } from "../api/state.ts";
import type { ConfigDiff as ReloadResult } from "../config/diff.ts";
import type { ProcessEntry, ProcessInfo, Telemetry } from "../core/types.ts";
import type { LogEntry, Severity } from "../logs/entry.ts";

/** One HTTP request as the client makes it. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** 0: none. */
  timeoutMs: number;
}

/** The whole answer: status and body text. */
export interface HttpResponse {
  status: number;
  text: string;
}

/**
 * Sends one request and reads the whole answer. Failures to get one reject with an error that
 * has a `code` (`ECONNREFUSED`, `ECONNRESET`, …), directly or as its `cause`, or with an error
 * named `TimeoutError` when `timeoutMs` passed.
 */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

/** The default transport: `fetch`, available in Node.js and in browsers. */
export const fetchTransport: HttpTransport = async ({ method, url, headers, body, timeoutMs }) => {
  const signal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
  const response = await fetch(url, { method, headers, body, signal });
  return { status: response.status, text: await response.text() };
};

export interface PupClientOptions {
  /** e.g. `http://127.0.0.1:8080` (with or without `/api`). */
  baseUrl: string;
  token: string;
  /** Per request, ms; default 10 000. */
  timeoutMs?: number;
  /** Wait before the one retry after a connection error, ms; default 250. */
  retryDelayMs?: number;
  /** How requests are sent; default `fetchTransport`. */
  transport?: HttpTransport;
}

export interface RequestOptions {
  /** Overrides the client's timeout; 0: none. */
  timeoutMs?: number;
}

export interface LogsQuery {
  processId?: string;
  severity?: Severity;
  /** ms since the epoch. */
  startTimeStamp?: number;
  endTimeStamp?: number;
  /** Default 100, at most 10 000. */
  nRows?: number;
}

export const PROCESS_ACTIONS = ["start", "stop", "restart", "block", "unblock"] as const;
export type ProcessAction = (typeof PROCESS_ACTIONS)[number];

/** The server answered with a failure: its status and its `{error}` message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** No answer: nothing listens, the connection broke, or the request timed out. */
export class ApiUnreachableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "ApiUnreachableError";
  }
}

/** Failures before the request reached the server: safe to retry, whatever the method. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
/** The connection broke: retried only for reads. */
const BROKEN = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

function errorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err as { code?: string }).code;
}

function ok(response: HttpResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

function retryable(err: unknown, method: string): boolean {
  const code = errorCode(err);
  if (code === undefined) return false;
  return NOT_SENT.has(code) || (method === "GET" && BROKEN.has(code));
}

export class PupClient {
  readonly baseUrl: string;
  private token: string;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly transport: HttpTransport;

  constructor(options: PupClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.transport = options.transport ?? fetchTransport;
  }

  /** Use a new token from now on (plugins get refreshed ones). */
  setToken(token: string): void {
    this.token = token;
  }

  /** The event stream's URL, with the token as `access_token` (for WebSocket clients without headers). */
  eventStreamUrl(): string {
    const url = new URL(`${this.baseUrl}/wss`);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("access_token", this.token);
    return url.toString();
  }

  /** One request; unwraps `{data}`, throws ApiError for a failure, ApiUnreachableError for no answer. */
  async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const parsed = await this.json<{ data: T } | undefined>(method, path, body, options);
    return parsed?.data as T;
  }

  /** One request whose JSON answer is returned as it is. */
  async json<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, body, options);
    let parsed: unknown;
    try {
      parsed = response.text.length > 0 ? JSON.parse(response.text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!ok(response)) {
      const message = (parsed as { error?: unknown } | undefined)?.error;
      throw new ApiError(
        response.status,
        typeof message === "string" ? message : `${method} ${path}: HTTP ${response.status}`,
      );
    }
    return parsed as T;
  }

  /** A request whose answer is not JSON (metrics). */
  async text(path: string, options: RequestOptions = {}): Promise<string> {
    const response = await this.send("GET", path, undefined, options);
    if (!ok(response)) {
      let message = `GET ${path}: HTTP ${response.status}`;
      try {
        message = JSON.parse(response.text).error ?? message;
      } catch {
        // not JSON
      }
      throw new ApiError(response.status, message);
    }
    return response.text;
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    options: RequestOptions,
  ): Promise<HttpResponse> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const request: HttpRequest = {
      method,
      url: `${this.baseUrl}${path}`,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.transport(request);
      } catch (err) {
        if (attempt === 0 && retryable(err, method)) {
          await new Promise((r) => setTimeout(r, this.retryDelayMs));
          continue;
        }
        const name = (err as Error).name;
        const why =
          name === "TimeoutError"
            ? `no answer within ${timeoutMs} ms`
            : (errorCode(err) ?? (err as Error).message);
        throw new ApiUnreachableError(`${method} ${this.baseUrl}${path}: ${why}`, err);
      }
    }
  }

  processes(): Promise<ProcessEntry[]> {
    return this.request("GET", "/processes");
  }

  process(id: string): Promise<ProcessEntry> {
    return this.request("GET", `/processes/${encodeURIComponent(id)}`);
  }

  /** Act on a process, a cluster or `all`; resolves with the statuses of the processes named. */
  action(action: ProcessAction, id: string, options?: RequestOptions): Promise<ProcessInfo[]> {
    return this.request("POST", `/processes/${encodeURIComponent(id)}/${action}`, undefined, options);
  }

  start(id: string, options?: RequestOptions) {
    return this.action("start", id, options);
  }

  stop(id: string, options?: RequestOptions) {
    return this.action("stop", id, options);
  }

  restart(id: string, options?: RequestOptions) {
    return this.action("restart", id, options);
  }

  block(id: string, options?: RequestOptions) {
    return this.action("block", id, options);
  }

  unblock(id: string, options?: RequestOptions) {
    return this.action("unblock", id, options);
  }

  state(options?: RequestOptions): Promise<ApplicationState> {
    return this.request("GET", "/state", undefined, options);
  }

  telemetry(telemetry: Telemetry): Promise<null> {
    return this.request("POST", "/telemetry", telemetry);
  }

  ipc(target: string, event: string, eventData: unknown): Promise<null> {
    return this.request("POST", "/ipc", { target, event, eventData });
  }

  log(severity: Severity, plugin: string, message: string): Promise<LogEntry> {
    return this.request("POST", "/log", { severity, plugin, message });
  }

  logs(query: LogsQuery = {}): Promise<LogEntry[]> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return this.request("GET", `/logs${qs ? `?${qs}` : ""}`);
  }

  terminate(): Promise<null> {
    return this.request("POST", "/terminate");
  }

  /** Re-read the instance's configuration file and apply it (SPEC §8.6); `dryRun` only reports. */
  reload(options: { dryRun?: boolean; timeoutMs?: number } = {}): Promise<ReloadResult> {
    const { dryRun, ...request } = options;
    return this.request("POST", `/reload${dryRun ? "?dryRun=true" : ""}`, undefined, request);
  }

  metrics(): Promise<string> {
    return this.text("/metrics");
  }

  /** The OpenAPI document (needs no token). */
  openapi(): Promise<Record<string, unknown>> {
    return this.json("GET", "/openapi.json");
  }
}
