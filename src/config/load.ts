import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import JSON5 from "json5";
import { ConfigError } from "../common/errors.ts";
import { configErrorFromIssues } from "./errors.ts";
import { configSchema, type PupConfig } from "./schema.ts";

export const CONFIG_FILE_NAMES = ["pup.jsonc", "pup.json"] as const;

export interface ConfigLocation {
  /** Explicit path given with --config. */
  config?: string;
  /** Folder to look in (--cwd); default: the current directory. */
  cwd?: string;
}

export interface LoadedConfig {
  /** Absolute path of the configuration file. */
  path: string;
  /** The folder that holds it: the instance's working directory. */
  dir: string;
  config: PupConfig;
}

/** How a file is named in messages: relative to the current directory when inside it. */
export function fileLabel(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/** The configuration file to use: --config, else pup.jsonc or pup.json in --cwd or the current folder. */
export function findConfigPath(location: ConfigLocation = {}): string {
  const base = path.resolve(location.cwd ?? process.cwd());
  if (location.config) {
    const file = path.resolve(base, location.config);
    if (!existsSync(file)) throw new ConfigError(`configuration file not found: ${fileLabel(file)}`);
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(base, name);
    if (existsSync(file)) return file;
  }
  throw new ConfigError(
    `no configuration file: neither pup.jsonc nor pup.json in ${base} (use --config PATH)`,
  );
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
    throw new ConfigError(`${label}: not valid JSON/JSON5${where}: ${reason}`);
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

export function readConfigFile(file: string): PupConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${fileLabel(file)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parseConfig(text, fileLabel(file));
}

export function loadConfig(location: ConfigLocation = {}): LoadedConfig {
  const file = findConfigPath(location);
  return { path: file, dir: path.dirname(file), config: readConfigFile(file) };
}
