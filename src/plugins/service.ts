import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { readSecret } from "../api/secret.ts";
import { signToken } from "../api/sign.ts";
import { hostPort, reachableHost } from "../common/net.ts";
import type { PluginConfig } from "../config/schema.ts";
import type { InstanceContext, InstanceService } from "../instance/instance.ts";

/** What a plugin module exports as `PupPlugin`, as Pup defines it. */
export interface PupPluginInstance {
  meta: { name: string; version: string; api: string; repository: string };
  refreshApiToken?(token: string): void | Promise<void>;
  cleanup?(): unknown;
}
type PupPluginClass = new (config: PluginConfig, apiAddress: string, token: string) => PupPluginInstance;

/** A plugin's token lives this long and is replaced halfway through. */
const TOKEN_SECONDS = 3600;
const CLEANUP_TIMEOUT_MS = 5000;

/** Where to import a plugin from: a path (relative to the configuration) or a module specifier. */
export function pluginSpecifier(url: string, configDir: string): string {
  if (/^(file|data|https?):/.test(url)) return url;
  if (url.startsWith(".") || path.isAbsolute(url)) return pathToFileURL(path.resolve(configDir, url)).href;
  try {
    // A package installed beside the configuration.
    return pathToFileURL(createRequire(path.join(configDir, "pup.json")).resolve(url)).href;
  } catch {
    return url;
  }
}

function checkMeta(plugin: PupPluginInstance): string | undefined {
  const meta = plugin?.meta;
  if (!meta || typeof meta !== "object") return "it has no meta";
  for (const key of ["name", "version", "api", "repository"] as const) {
    if (typeof meta[key] !== "string" || meta[key].length === 0) return `meta.${key} is missing`;
  }
  return undefined;
}

/**
 * Loads `plugins[]` after the REST API is up: each gets the API's address and a token of its own,
 * refreshed before it expires, and `cleanup()` when the instance terminates. A plugin that fails
 * to load or verify is logged and skipped; the instance goes on.
 */
export class PluginService implements InstanceService {
  readonly name = "plugins";
  /** Plugins talk to the instance through its API; the processes need nothing from them. */
  readonly afterProcesses = true;
  private readonly plugins: Array<{ name: string; instance: PupPluginInstance; consumer: string }> = [];
  private refreshTimer: NodeJS.Timeout | undefined;

  async start(context: InstanceContext): Promise<void> {
    const configs = context.config.plugins ?? [];
    if (configs.length === 0) return;
    const log = (severity: "info" | "warn" | "error", text: string) =>
      context.logger.log(severity, "plugins", text);
    const secret = readSecret(context.paths.secretFile);
    let port: string;
    try {
      port = readFileSync(context.paths.portFile, "utf8").trim();
    } catch {
      log("error", "plugins need the REST API, which is not running: no plugin loaded");
      return;
    }
    if (secret === undefined) {
      log("error", "plugins need the API secret, which is missing: no plugin loaded");
      return;
    }
    const hostname = context.config.api?.hostname ?? "127.0.0.1";
    const address = hostPort(reachableHost(hostname), port);

    for (const [index, config] of configs.entries()) {
      const consumer = `plugin-${index}`;
      try {
        const module = (await import(pluginSpecifier(config.url, context.paths.dir))) as {
          PupPlugin?: unknown;
        };
        if (typeof module.PupPlugin !== "function") throw new Error("it does not export a class PupPlugin");
        const token = signToken(secret, { consumer, expiresIn: TOKEN_SECONDS });
        const instance = new (module.PupPlugin as PupPluginClass)(
          { url: config.url, options: config.options },
          address,
          token,
        );
        const problem = checkMeta(instance);
        if (problem) throw new Error(problem);
        this.plugins.push({ name: instance.meta.name, instance, consumer });
        log("info", `loaded plugin ${instance.meta.name} ${instance.meta.version} from ${config.url}`);
      } catch (err) {
        log("error", `plugin ${config.url} skipped: ${(err as Error).message}`);
      }
    }

    this.refreshTimer = setInterval(
      async () => {
        for (const plugin of this.plugins) {
          try {
            const token = signToken(secret, { consumer: plugin.consumer, expiresIn: TOKEN_SECONDS });
            await plugin.instance.refreshApiToken?.(token);
          } catch (err) {
            log("warn", `plugin ${plugin.name}: token refresh failed: ${(err as Error).message}`);
          }
        }
      },
      (TOKEN_SECONDS * 1000) / 2,
    );
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.refreshTimer);
    await Promise.all(
      this.plugins.map(({ instance }) =>
        Promise.race([
          Promise.resolve()
            .then(() => instance.cleanup?.())
            .catch(() => {}),
          new Promise((resolve) => setTimeout(resolve, CLEANUP_TIMEOUT_MS).unref()),
        ]),
      ),
    );
    this.plugins.length = 0;
  }
}
