import { existsSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../common/errors.ts";

/* Finding the configuration file: no parsing here, so commands that only need the path stay light. */

export const CONFIG_FILE_NAMES = ["pup.jsonc", "pup.json"] as const;

export interface ConfigLocation {
  /** Explicit path given with --config. */
  config?: string;
  /** Folder to look in (--cwd); default: the current directory. */
  cwd?: string;
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
