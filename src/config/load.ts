import { readFileSync } from "node:fs";
import path from "node:path";
import JSON5 from "json5";
import { ConfigError } from "../common/errors.ts";
import { configErrorFromIssues, oneLine } from "./errors.ts";
import { type ConfigLocation, fileLabel, findConfigPath } from "./locate.ts";
import { configSchema, type PupConfig } from "./schema.ts";

export { CONFIG_FILE_NAMES, type ConfigLocation, fileLabel, findConfigPath } from "./locate.ts";

export interface LoadedConfig {
  /** Absolute path of the configuration file. */
  path: string;
  /** The folder that holds it: the instance's working directory. */
  dir: string;
  config: PupConfig;
}

/** Parse and validate configuration text; `label` names the file in errors. */
export function parseConfig(text: string, label: string): PupConfig {
  let raw: unknown;
  try {
    raw = JSON5.parse(text);
  } catch (err) {
    const e = err as SyntaxError & { lineNumber?: number; columnNumber?: number };
    const where = e.lineNumber ? ` at line ${e.lineNumber}, column ${e.columnNumber}` : "";
    const reason = e.message.replace(/^JSON5: /, "").replace(/ at \d+:\d+$/, "");
    throw new ConfigError(oneLine(`${label}: not valid JSON/JSON5${where}: ${reason}`));
  }
  return validateConfig(raw, label);
}

export function validateConfig(raw: unknown, label: string): PupConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`${label}: expected an object at the top level`);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw configErrorFromIssues(label, result.error.issues, raw, configSchema);
  return result.data;
}

/** The text of a configuration file; one that cannot be read is a ConfigError naming it. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${fileLabel(file)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

export function readConfigFile(file: string): PupConfig {
  return parseConfig(readConfigText(file), fileLabel(file));
}

/** `config`, if it has processes: what `pup run` (and so reload and the editing commands) accepts. */
export function requireProcesses(config: PupConfig, label: string): PupConfig {
  if (config.processes.length === 0) throw new ConfigError(`${label}: processes: nothing to run`);
  return config;
}

export function loadConfig(location: ConfigLocation = {}): LoadedConfig {
  const file = findConfigPath(location);
  return { path: file, dir: path.dirname(file), config: readConfigFile(file) };
}
