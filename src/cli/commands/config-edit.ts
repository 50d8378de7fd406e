import { existsSync } from "node:fs";
import path from "node:path";
import { UserError } from "../../common/errors.ts";
import { appendProcess, initConfig, removeProcess } from "../../config/edit.ts";
import { CONFIG_FILE_NAMES, fileLabel } from "../../config/locate.ts";
import { type ConfigFlags, resolveConfigPath } from "../config-flags.ts";
import { type ProcessFlags, processFromFlags } from "../process-flags.ts";

function requireProcess(flags: ProcessFlags): void {
  if (!flags.id) throw new UserError("--id is required");
  if (!flags.cmd && !flags.worker) throw new UserError("--cmd or --worker is required");
}

/** Without --config: pup.json, unless a configuration is already here (pup.jsonc would win over it). */
function fileToCreate(config: string | undefined): string {
  if (config) return path.resolve(config);
  for (const name of CONFIG_FILE_NAMES) {
    const existing = path.resolve(name);
    if (existsSync(existing))
      throw new UserError(`${fileLabel(existing)} already exists; use "pup append" to add a process`);
  }
  return path.resolve(CONFIG_FILE_NAMES[1]);
}

export function initCommand(flags: ProcessFlags & { config?: string; name?: string }): number {
  requireProcess(flags);
  const file = fileToCreate(flags.config);
  initConfig(file, processFromFlags(flags), flags.name);
  process.stdout.write(`created ${file} with process "${flags.id}"\n`);
  return 0;
}

export function appendCommand(flags: ProcessFlags & ConfigFlags): number {
  requireProcess(flags);
  const file = resolveConfigPath({ config: flags.config });
  appendProcess(file, processFromFlags(flags));
  process.stdout.write(`added process "${flags.id}" to ${file}\n`);
  return 0;
}

export function removeCommand(flags: { id?: string } & ConfigFlags): number {
  if (!flags.id) throw new UserError("--id is required");
  const file = resolveConfigPath(flags);
  const removed = removeProcess(file, flags.id);
  process.stdout.write(`removed process "${removed}" from ${file}\n`);
  return 0;
}
