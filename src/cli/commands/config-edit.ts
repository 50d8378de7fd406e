import path from "node:path";
import { UserError } from "../../common/errors.ts";
import { appendProcess, initConfig, removeProcess } from "../../config/edit.ts";
import { CONFIG_FILE_NAMES } from "../../config/locate.ts";
import { type ConfigFlags, resolveConfigPath } from "../config-flags.ts";
import { type ProcessFlags, processFromFlags } from "../process-flags.ts";

function requireProcess(flags: ProcessFlags): void {
  if (!flags.id) throw new UserError("--id is required");
  if (!flags.cmd && !flags.worker) throw new UserError("--cmd or --worker is required");
}

export function initCommand(flags: ProcessFlags & { config?: string; name?: string }): number {
  requireProcess(flags);
  const file = path.resolve(flags.config ?? CONFIG_FILE_NAMES[1]);
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
  removeProcess(file, flags.id);
  process.stdout.write(`removed process "${flags.id}" from ${file}\n`);
  return 0;
}
