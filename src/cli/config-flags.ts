import path from "node:path";
import type { Command } from "commander";
import { UserError } from "../common/errors.ts";
import { type ConfigLocation, fileLabel, findConfigPath } from "../config/locate.ts";
import { commandLineInstances, isCommandLineInstance, isRunning } from "../instance/command-line.ts";

/**
 * `-c, --config PATH` and `-d, --cwd DIR`: how every command finds its configuration. `--cwd` means
 * the folder the instance works in, as it does for `pup run` (see ./process-flags.ts).
 */
export function addConfigFlags(command: Command, withCwd = true): Command {
  command.option("-c, --config <path>", "configuration file (default: pup.jsonc or pup.json)");
  if (withCwd) {
    command.option(
      "-d, --cwd <dir>",
      "folder of the instance: look for its configuration there (default: the current folder)",
    );
  }
  return command;
}

export interface ConfigFlags {
  config?: string;
  cwd?: string;
}

export function locate(flags: ConfigFlags): ConfigLocation {
  return { config: flags.config, cwd: flags.cwd };
}

/** The configuration file the flags name: `--config`, else pup.jsonc or pup.json in the folder. */
export function resolveConfigPath(flags: ConfigFlags): string {
  return findConfigPath(locate(flags));
}

/**
 * The instance the flags name, for the commands that address one (control, logs, token): its
 * configuration file as resolveConfigPath finds it, else the instance run in that folder without
 * a configuration file (`pup run -- CMD`), which `--config` may also name by the path it prints.
 */
export function resolveInstancePath(flags: ConfigFlags): string {
  const base = path.resolve(flags.cwd ?? process.cwd());
  if (flags.config) {
    const named = path.resolve(base, flags.config);
    return isCommandLineInstance(named) ? named : resolveConfigPath(flags);
  }
  try {
    return resolveConfigPath(flags);
  } catch (err) {
    const instance = commandLineInstanceIn(base);
    if (instance === undefined) throw err;
    return instance;
  }
}

/** The one command-line instance of a folder: the running one, else the only one that ran. */
function commandLineInstanceIn(dir: string): string | undefined {
  const all = commandLineInstances(dir);
  const running = all.filter(isRunning);
  const candidates = running.length > 0 ? running : all;
  if (candidates.length <= 1) return candidates[0];
  const which = candidates.map((c) => `--config ${fileLabel(c)}`).join(" or ");
  throw new UserError(
    `no configuration file in ${dir}, and ${candidates.length} instances without one ${running.length > 0 ? "run" : "ran"} there: choose with ${which}`,
  );
}
