import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import JSON5 from "json5";
import { ConfigError } from "../common/errors.ts";
import { fileLabel, readConfigFile, validateConfig } from "./load.ts";
import type { ProcessConfigInput, PupConfigInput } from "./schema.ts";

/**
 * Changes to a configuration file made by `init`, `append` and `remove`. The result is validated
 * before it is written, and written atomically (temporary file + rename), so a failure never
 * leaves a half-written file.
 */
function writeAtomically(file: string, config: PupConfigInput): void {
  validateConfig(config, fileLabel(file));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { flag: "w" });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new ConfigError(`${fileLabel(file)}: cannot write: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

function readRaw(file: string): PupConfigInput {
  // Validate first, so that we never rewrite a file we could not have run; then keep the user's
  // own keys (not the defaults filled in by validation).
  readConfigFile(file);
  return JSON5.parse(readFileSync(file, "utf8")) as PupConfigInput;
}

export function initConfig(file: string, proc: ProcessConfigInput, name?: string): void {
  if (existsSync(file))
    throw new ConfigError(`${fileLabel(file)} already exists; use "pup append" to add a process`);
  const config: PupConfigInput = { ...(name ? { name } : {}), processes: [proc] };
  writeAtomically(file, config);
}

export function appendProcess(file: string, proc: ProcessConfigInput): void {
  const config = readRaw(file);
  config.processes = [...config.processes, proc];
  writeAtomically(file, config);
}

export function removeProcess(file: string, id: string): void {
  const config = readRaw(file);
  const index = config.processes.findIndex((p) => p.id.toLowerCase() === id.toLowerCase());
  if (index < 0) throw new ConfigError(`${fileLabel(file)}: no process with id "${id}"`);
  config.processes = config.processes.filter((_, i) => i !== index);
  writeAtomically(file, config);
}
