import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { InstanceRunningError } from "../common/errors.ts";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A reused pid belongs to some other program: only a node process can be a pup instance.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    return /node|pup/.test(cmdline);
  } catch {
    return true;
  }
}

/** The pid of the instance that holds the lock, if it is alive. */
export function lockHolder(lockFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(lockFile, "utf8"), 10);
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/**
 * One instance per configuration file: the lock file holds the running instance's pid. A lock
 * left by an instance that died (its pid gone or reused by a non-node program) is taken over.
 */
export function acquireLock(lockFile: string, configPath: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockFile, "wx", 0o644);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(lockFile, "utf8") === String(process.pid)) rmSync(lockFile, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = lockHolder(lockFile);
      if (holder !== undefined) throw new InstanceRunningError(configPath, holder);
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`cannot take the instance lock ${lockFile}`);
}
