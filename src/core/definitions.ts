import path from "node:path";
import { memberId } from "../config/identity.ts";
import type { ProcessConfig, PupConfig } from "../config/schema.ts";
import type { ProcessDefinition } from "./managed-process.ts";

/** One child to supervise: a plain process, or one instance of a cluster. */
export interface ChildDefinition extends ProcessDefinition {
  config: ProcessConfig;
  /** Absolute working directory. */
  cwd: string;
  /** For cluster instances: 0-based index and port. */
  clusterInstance?: number;
  clusterPort?: number;
}

/** Resolve one configured process into the children pup runs for it (one, or a cluster's n). */
export function childDefinitions(
  config: ProcessConfig,
  global: PupConfig,
  configDir: string,
): ChildDefinition[] {
  const base: Omit<ChildDefinition, "id"> = {
    type: config.worker ? "worker" : "process",
    describe: config.cmd ?? (config.worker ?? []).join(" "),
    policy: {
      restart: config.restart,
      autostart: config.autostart,
      watch: config.watch,
      restartDelayMs: config.restartDelayMs,
      restartLimit: config.restartLimit,
      restartBackoffMaxMs: config.restartBackoffMaxMs,
    },
    healthcheck: config.healthcheck,
    restartResetMs: config.restartResetMs,
    maxMemoryMb: config.maxMemoryMb,
    overrun: config.overrun,
    timeout: config.timeout,
    terminateGracePeriod: config.terminateGracePeriod ?? global.terminateGracePeriod,
    terminateTimeout: config.terminateTimeout ?? global.terminateTimeout,
    pidFile: config.pidFile ? path.resolve(configDir, config.pidFile) : undefined,
    config,
    cwd: path.resolve(configDir, config.cwd ?? "."),
  };
  if (!config.cluster) return [{ ...base, id: config.id }];
  const { instances, startPort } = config.cluster;
  return Array.from({ length: instances }, (_, n) => ({
    ...base,
    id: memberId(config.id, n),
    pidFile: base.pidFile ? `${base.pidFile}.${n + 1}` : undefined,
    clusterInstance: n,
    clusterPort: startPort !== undefined ? startPort + n : undefined,
  }));
}

/**
 * The environment of a child (SPEC §2.3): the instance's own, then `env` (PATH appended rather
 * than replaced) and `path`, then pup's variables.
 */
export function childEnvironment(
  def: ChildDefinition,
  base: NodeJS.ProcessEnv,
  pupVars: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  const appendPath = (extra: string) => {
    env.PATH = env.PATH ? `${env.PATH}${path.delimiter}${extra}` : extra;
  };
  for (const [key, value] of Object.entries(def.config.env ?? {})) {
    if (key === "PATH") appendPath(value);
    else env[key] = value;
  }
  if (def.config.path) appendPath(def.config.path);
  Object.assign(env, pupVars);
  env.PUP_PROCESS_ID = def.id;
  if (def.clusterInstance !== undefined) env.PUP_CLUSTER_INSTANCE = String(def.clusterInstance);
  if (def.clusterPort !== undefined) {
    env.PUP_CLUSTER_PORT = String(def.clusterPort);
    // Most frameworks listen on PORT: the instance's port, unless the process's env chose one.
    if (def.config.env?.PORT === undefined) env.PORT = env.PUP_CLUSTER_PORT;
  }
  return env;
}
