import { realpathSync } from "node:fs";
import path from "node:path";

/** Where an instance keeps its files (SPEC §1): beside its configuration, under `.pup/`. */
export interface InstancePaths {
  /** The configuration file, symbolic links resolved: what identifies the instance. */
  configPath: string;
  /** The configuration's folder: the instance's working directory. */
  dir: string;
  /** `.pup/`, which holds the two folders below. */
  pupDir: string;
  dataDir: string;
  tempDir: string;
  secretFile: string;
  portFile: string;
  lockFile: string;
  logDatabase: string;
}

/**
 * The file itself, not a name for it: a symbolic link (`alias.json` → `pup.json`) names the same
 * instance, whose files, lock and working directory are those of the file it points to, so a
 * second `pup run` through the link finds the lock, and `pup status` through it the instance.
 * A file that does not exist (the virtual configuration of `run --cmd`) resolves by its folder.
 */
function realConfigPath(configPath: string): string {
  const absolute = path.resolve(configPath);
  try {
    return realpathSync.native(absolute);
  } catch {
    try {
      return path.join(realpathSync.native(path.dirname(absolute)), path.basename(absolute));
    } catch {
      return absolute;
    }
  }
}

export function instancePaths(configPath: string): InstancePaths {
  const real = realConfigPath(configPath);
  const dir = path.dirname(real);
  const name = path.basename(real);
  const pupDir = path.join(dir, ".pup");
  const dataDir = path.join(pupDir, `${name}-data`);
  const tempDir = path.join(pupDir, `${name}-tmp`);
  return {
    configPath: real,
    dir,
    pupDir,
    dataDir,
    tempDir,
    secretFile: path.join(dataDir, ".main.secret"),
    portFile: path.join(tempDir, ".main.port"),
    lockFile: path.join(tempDir, ".main.lock"),
    logDatabase: path.join(dataDir, "logs.db"),
  };
}
