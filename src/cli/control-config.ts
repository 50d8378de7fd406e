import { readFileSync } from "node:fs";
import { DEFAULT_TERMINATE_GRACE_PERIOD, DEFAULT_TERMINATE_TIMEOUT } from "../config/defaults.ts";
import { isCommandLineInstance } from "../instance/command-line.ts";

/**
 * What the control commands (status, start, stop, …, terminate) need of the configuration: the
 * instance's name, where its API listens, and how long a stop may take. These commands run often
 * and talk to an instance that validated its configuration when it started, so they read these
 * few settings without loading the validator (zod costs ~100 ms); a file they cannot read plainly
 * goes through the validator, which names the mistake.
 */
export interface ControlConfig {
  name?: string;
  api?: { hostname?: string; port?: number };
  terminateTimeout: number;
  terminateGracePeriod: number;
  processes: Array<{ terminateTimeout?: number; terminateGracePeriod?: number }>;
  /** Whether the whole file passed the validator (else only these settings were checked). */
  validated: boolean;
}

/** The control settings of a configuration file; a ConfigError when it is unreadable or invalid. */
export async function readControlConfig(configPath: string): Promise<ControlConfig> {
  // An instance run without a file has the defaults: `pup run -- CMD` takes no API or stop flags.
  if (isCommandLineInstance(configPath)) return { ...controlSettings({ processes: [] })!, validated: true };
  const raw = await parseLeniently(configPath);
  const settings = raw === undefined ? undefined : controlSettings(raw);
  return settings ?? { ...(await validateConfigFile(configPath)), validated: true };
}

/** Read and validate the whole file; throws the validator's ConfigError. */
export async function validateConfigFile(configPath: string) {
  const { readConfigFile } = await import("../config/load.ts");
  return readConfigFile(configPath);
}

/** Read and validate the whole file as `pup run` would: one with nothing to run is refused too. */
export async function runnableConfigFile(configPath: string) {
  const { fileLabel, readConfigFile, requireProcesses } = await import("../config/load.ts");
  return requireProcesses(readConfigFile(configPath), fileLabel(configPath));
}

/** Plain JSON first (built in), JSON5 only for files that need it; undefined if neither parses. */
export async function parseLeniently(configPath: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(configPath, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    // comments, trailing commas, unquoted keys…
  }
  try {
    const { default: JSON5 } = await import("json5");
    return JSON5.parse(text);
  } catch {
    return undefined;
  }
}

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const isSeconds = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0;
const isOptional = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);

/**
 * The control settings of a parsed configuration, with the schema's defaults; undefined when one
 * of them is not plainly well-formed (the validator then explains what is wrong).
 */
export function controlSettings(raw: unknown): ControlConfig | undefined {
  if (!isObject(raw) || !Array.isArray(raw.processes)) return undefined;
  const { name, api, terminateTimeout, terminateGracePeriod } = raw;
  if (!isOptional(name, (v) => typeof v === "string" && v.length > 0)) return undefined;
  if (!isOptional(terminateTimeout, isSeconds) || !isOptional(terminateGracePeriod, isSeconds))
    return undefined;
  if (!isOptional(api, isObject)) return undefined;
  const { hostname, port } = (api ?? {}) as Raw;
  if (!isOptional(hostname, (v) => typeof v === "string" && v.length > 0)) return undefined;
  if (!isOptional(port, (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535)) {
    return undefined;
  }
  const processes: ControlConfig["processes"] = [];
  for (const p of raw.processes) {
    if (!isObject(p)) return undefined;
    if (!isOptional(p.terminateTimeout, isSeconds) || !isOptional(p.terminateGracePeriod, isSeconds)) {
      return undefined;
    }
    processes.push({
      terminateTimeout: p.terminateTimeout as number | undefined,
      terminateGracePeriod: p.terminateGracePeriod as number | undefined,
    });
  }
  return {
    name: name as string | undefined,
    api:
      api === undefined
        ? undefined
        : { hostname: hostname as string | undefined, port: port as number | undefined },
    terminateTimeout: (terminateTimeout as number | undefined) ?? DEFAULT_TERMINATE_TIMEOUT,
    terminateGracePeriod: (terminateGracePeriod as number | undefined) ?? DEFAULT_TERMINATE_GRACE_PERIOD,
    processes,
    validated: false,
  };
}
