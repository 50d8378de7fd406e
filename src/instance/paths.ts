import path from "node:path";

/** Where an instance keeps its files (SPEC §1): beside its configuration, under `.pup/`. */
export interface InstancePaths {
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

export function instancePaths(configPath: string): InstancePaths {
  const dir = path.dirname(configPath);
  const name = path.basename(configPath);
  const pupDir = path.join(dir, ".pup");
  const dataDir = path.join(pupDir, `${name}-data`);
  const tempDir = path.join(pupDir, `${name}-tmp`);
  return {
    configPath,
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
