import { statSync } from "node:fs";

/** The file's device and inode: another value (or none) means it was removed or replaced. */
export function fileIdentity(file: string): string | undefined {
  try {
    const s = statSync(file);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}
