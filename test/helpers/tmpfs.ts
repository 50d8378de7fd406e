import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

/**
 * A small tmpfs mounted at `dir`, to fill a disk for real (ENOSPC). Needs root; `mounted` is false
 * with the reason when mounting is not permitted, and the test then skips.
 */
export function mountTmpfs(
  dir: string,
  size: string,
): { mounted: boolean; reason?: string; unmount: () => void } {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
  } catch (err) {
    const reason = String((err as { stderr?: Buffer }).stderr ?? err).trim();
    return {
      mounted: false,
      reason: `cannot mount a tmpfs (${reason || "not permitted"})`,
      unmount: () => {},
    };
  }
  return {
    mounted: true,
    unmount: () => {
      try {
        execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      } catch {
        // already gone
      }
    },
  };
}

/** Fills the file system of `dir` to the last byte with a filler file; returns its path. */
export function fillDisk(dir: string): string {
  const file = path.join(dir, "filler");
  const fd = openSync(file, "w");
  const block = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

export function freeDisk(filler: string): void {
  rmSync(filler, { force: true });
}
