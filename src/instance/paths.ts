import path from "node:path";

/** Where an instance keeps its files (SPEC §1): beside its configuration, under `.pup/`. */
export interface InstancePaths {
  configPath: string;
  /** The configuration's folder: the instance's working directory. */
  dir: string;
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
  const dataDir = path.join(dir, ".pup", `${name}-data`);
  const tempDir = path.join(dir, ".pup", `${name}-tmp`);
  return {
    configPath,
    dir,
    dataDir,
    tempDir,
    secretFile: path.join(dataDir, ".main.secret"),
    portFile: path.join(tempDir, ".main.port"),
    lockFile: path.join(tempDir, ".main.lock"),
    logDatabase: path.join(dataDir, "logs.db"),
  };
}
