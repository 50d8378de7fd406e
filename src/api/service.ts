import { rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { InstanceContext, InstanceService } from "../instance/instance.ts";
import { ensureSecret } from "./secret.ts";
import type { ApiServer } from "./server.ts";
import { signToken } from "./tokens.ts";

/** Lifetime of the token each child gets in PUP_API_TOKEN; re-signed daily for new starts. */
const CHILD_TOKEN_SECONDS = 365 * 24 * 3600;
const CHILD_TOKEN_REFRESH_MS = 24 * 3600 * 1000;

export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\./.test(hostname);
}

/**
 * The REST API of an instance (SPEC §5): listens on `api.hostname:api.port`, writes the port
 * file, and gives each child its API address and a telemetry token.
 */
export class ApiService implements InstanceService {
  readonly name = "REST API";
  private server: ApiServer | undefined;
  private portFile: string | undefined;
  private port = 0;
  private readonly childTokens = new Map<string, string>();
  private refreshTimer: NodeJS.Timeout | undefined;

  async start(context: InstanceContext): Promise<void> {
    const secret = ensureSecret(context.paths.secretFile);
    const hostname = context.config.api?.hostname ?? "127.0.0.1";
    // Loaded here, not at the top: every CLI command imports the instance's services, and only
    // `pup run` needs Fastify.
    const { createApiServer } = await import("./server.ts");
    this.server = await createApiServer({ context, secret, port: () => this.port });
    await this.server.app.listen({ host: hostname, port: context.config.api?.port ?? 0 });
    this.port = (this.server.app.server.address() as AddressInfo).port;
    this.portFile = context.paths.portFile;
    writeFileSync(this.portFile, String(this.port));

    const ids = context.supervisor.list().map((e) => e.status.id);
    const signChildTokens = async () => {
      for (const id of ids) {
        const consumer = `telemetry-${id}`;
        const scopes = ["read", "telemetry", "log"] as const;
        this.childTokens.set(
          id,
          await signToken(secret, { consumer, expiresIn: CHILD_TOKEN_SECONDS, scopes: [...scopes] }),
        );
      }
    };
    await signChildTokens();
    this.refreshTimer = setInterval(() => void signChildTokens(), CHILD_TOKEN_REFRESH_MS);
    this.refreshTimer.unref();
    const childHost = hostname === "0.0.0.0" ? "127.0.0.1" : hostname === "::" ? "::1" : hostname;
    context.addChildVariables((id) => {
      const token = this.childTokens.get(id);
      return {
        PUP_API_HOSTNAME: childHost,
        PUP_API_PORT: String(this.port),
        ...(token ? { PUP_API_TOKEN: token } : {}),
      };
    });

    const where = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${this.port}`;
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
  }

  async stop(): Promise<void> {
    clearInterval(this.refreshTimer);
    if (this.portFile) rmSync(this.portFile, { force: true });
    await this.server?.app.close();
  }
}
