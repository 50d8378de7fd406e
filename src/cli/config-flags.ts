import type { Command } from "commander";
import { type ConfigLocation, findConfigPath } from "../config/locate.ts";

/** `-c, --config PATH` and `--cwd DIR`: how every command finds its configuration. */
export function addConfigFlags(command: Command, withCwd = true): Command {
  command.option("-c, --config <path>", "configuration file (default: pup.jsonc or pup.json)");
  if (withCwd) command.option("--cwd <dir>", "look for the configuration in this folder");
  return command;
}

export interface ConfigFlags {
  config?: string;
  cwd?: string;
}

export function locate(flags: ConfigFlags): ConfigLocation {
  return { config: flags.config, cwd: flags.cwd };
}

export function resolveConfigPath(flags: ConfigFlags): string {
  return findConfigPath(locate(flags));
}
