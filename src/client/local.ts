import { readFileSync } from "node:fs";
import { readSecret } from "../api/secret.ts";
import { signToken } from "../api/sign.ts";
import { UserError } from "../common/errors.ts";
import { reachableUrl } from "../common/net.ts";
import { type InstancePaths, instancePaths } from "../instance/paths.ts";
import { PupClient, type PupClientOptions } from "./client.ts";
import { nodeHttpTransport } from "./node-http.ts";

/** Lifetime of the tokens the CLI signs for itself. */
const CLI_TOKEN_SECONDS = 120;

export class NoInstanceError extends UserError {
  constructor(readonly configPath: string) {
    super(`no running instance for ${configPath}`, 503);
  }
}

export interface LocalInstance {
  client: PupClient;
  /** The API's base URL. */
  url: string;
  paths: InstancePaths;
}

function readPort(portFile: string): number | undefined {
  try {
    const port = Number.parseInt(readFileSync(portFile, "utf8"), 10);
    return port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** What finding a local instance needs of its configuration (a validated PupConfig has it). */
export interface LocalApiConfig {
  api?: { hostname?: string; port?: number };
}

/**
 * A client for the instance of a configuration file on this machine: its port from the port file
 * (else `api.port`), its hostname from the configuration, and a short-lived token signed with the
 * instance secret. Throws NoInstanceError when there is evidently no instance (no port, no
 * secret); an instance that does not answer shows as ApiUnreachableError on the first request.
 * Requests go over `node:http` unless `options.transport` says otherwise.
 */
export async function localInstance(
  configPath: string,
  config: LocalApiConfig,
  options: Partial<PupClientOptions> = {},
): Promise<LocalInstance> {
  const paths = instancePaths(configPath);
  const port = readPort(paths.portFile) ?? config.api?.port;
  const secret = readSecret(paths.secretFile);
  if (!port || secret === undefined) throw new NoInstanceError(configPath);
  const url = reachableUrl(config.api?.hostname ?? "127.0.0.1", port);
  const token = signToken(secret, { consumer: "cli", expiresIn: CLI_TOKEN_SECONDS });
  const client = new PupClient({ transport: nodeHttpTransport, ...options, baseUrl: url, token });
  return { client, url, paths };
}
