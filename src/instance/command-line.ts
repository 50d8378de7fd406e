import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { lockHolder } from "./lock.ts";
import { instancePaths } from "./paths.ts";

/*
 * An instance run without a configuration file (`pup run --autostart -- CMD`) is named as if it
 * had one: `pup-run-<id>` in its folder. No such file exists; its `.pup/pup-run-<id>-…` folders
 * do, and that is how the other commands find it: run in the same folder, or given that name
 * with --config.
 */

const PREFIX = "pup-run-";
const SUFFIXES = ["-tmp", "-data"];

/** The name a command-line instance of process `id` goes by in `dir`. */
export function commandLineConfigPath(dir: string, id: string): string {
  return path.resolve(dir, `${PREFIX}${id}`);
}

/** Whether `file` names a command-line instance that ran (or runs) here: no file, but its folders. */
export function isCommandLineInstance(file: string): boolean {
  if (!path.basename(file).startsWith(PREFIX) || existsSync(file)) return false;
  const paths = instancePaths(file);
  return existsSync(paths.tempDir) || existsSync(paths.dataDir);
}

/** Whether the instance of `configPath` is running (holds its lock). */
export function isRunning(configPath: string): boolean {
  return lockHolder(instancePaths(configPath).lockFile) !== undefined;
}

/** The command-line instances that ran in `dir`, by name. */
export function commandLineInstances(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(path.join(dir, ".pup"));
  } catch {
    return [];
  }
  const names = new Set<string>();
  for (const entry of entries) {
    const suffix = SUFFIXES.find((s) => entry.endsWith(s));
    if (entry.startsWith(PREFIX) && suffix) names.add(entry.slice(0, -suffix.length));
  }
  return [...names]
    .sort()
    .map((name) => path.join(dir, name))
    .filter(isCommandLineInstance);
}
