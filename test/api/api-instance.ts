import { readFileSync } from "node:fs";
import path from "node:path";
import { ApiService } from "../../src/api/service.ts";
import { signToken, type TokenRequest } from "../../src/api/tokens.ts";
import { validateConfig } from "../../src/config/load.ts";
import type { PupConfigInput } from "../../src/config/schema.ts";
import { Instance } from "../../src/instance/instance.ts";
import type { LogEntry } from "../../src/logs/entry.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

/** Parsed JSON from the server, read loosely by the tests. */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the tests
export type Json = any;

/** A real instance with its REST API on a real socket, in this test process. */
export class ApiInstance {
  readonly instance: Instance;
  readonly service: ApiService;
  readonly dir: string;
  readonly entries: LogEntry[] = [];
  port = 0;
  secret = "";
  private readonly cleanupDir: () => void;

  constructor(
    config: Omit<PupConfigInput, "logger"> & { logger?: PupConfigInput["logger"] },
    serviceOptions: ConstructorParameters<typeof ApiService>[0] = {},
  ) {
    this.service = new ApiService(serviceOptions);
    const { dir, cleanup } = tempDir("pup-api-");
    this.dir = dir;
    this.cleanupDir = cleanup;
    const configPath = writeJson(path.join(dir, "pup.json"), config);
    this.instance = new Instance({
      config: validateConfig({ logger: { console: false }, ...config }, "test"),
      configPath,
      services: [this.service],
    });
    this.instance.logger.on("log", (e) => this.entries.push(e));
  }

  static async start(...args: ConstructorParameters<typeof ApiInstance>): Promise<ApiInstance> {
    const api = new ApiInstance(...args);
    await api.instance.start();
    api.port = Number(readFileSync(api.instance.paths.portFile, "utf8"));
    api.secret = readFileSync(api.instance.paths.secretFile, "utf8");
    return api;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async token(request: Partial<TokenRequest> = {}): Promise<string> {
    return signToken(this.secret, { consumer: "test", expiresIn: 60, ...request });
  }

  /** A request with a token for every scope unless `token` says otherwise (null: none). */
  async call(
    method: string,
    route: string,
    options: {
      token?: string | null;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<{ status: number; body: Json; text: string; headers: Headers }> {
    const token = options.token === undefined ? await this.token() : options.token;
    const headers: Record<string, string> = { ...options.headers };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
    const response = await fetch(`${this.base}${route}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  }

  status(id: string) {
    return this.instance.supervisor.get(id).status;
  }

  waitStatus(id: string, state: number, timeoutMs = 10_000) {
    return waitFor(() => this.status(id).status === state, `${id} to be ${state}`, timeoutMs);
  }

  async close(): Promise<void> {
    await this.instance.terminate("test over");
    this.cleanupDir();
  }
}
