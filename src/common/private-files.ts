import { chmodSync, statSync } from "node:fs";

/**
 * Modes of pup's own files under `.pup/`: only their owner may read them. The API secret mints
 * tokens with every scope, and the log store holds every line every child wrote.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Take group's and others' access away from an existing file or folder (`mode` for its owner).
 * Returns what was wrong, to be logged, or undefined when nothing was (or it does not exist).
 */
export function makePrivate(file: string, mode: number): string | undefined {
  let current: number;
  try {
    current = statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
  if ((current & 0o077) === 0) return undefined;
  const was = `${file} was mode ${current.toString(8)}`;
  try {
    chmodSync(file, mode);
    return `${was}, now ${mode.toString(8)}`;
  } catch (err) {
    return `${was} and cannot be changed (${(err as NodeJS.ErrnoException).code}): make it ${mode.toString(8)}`;
  }
}
