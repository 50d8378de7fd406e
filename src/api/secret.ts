import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../common/errors.ts";
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "../common/private-files.ts";

/**
 * The instance's API signing secret (SPEC §1): 64 random bytes as base64 text, no newline,
 * mode 0600, created once on first use. The HMAC key is that text's UTF-8 bytes, as in Pup.
 */
export function ensureSecret(secretFile: string): string {
  const existing = readSecret(secretFile);
  if (existing !== undefined) return existing;
  // Written aside, then linked into place: a concurrent reader never sees a half-written secret,
  // and when two processes race, the first link wins and both use its secret. An empty file (left
  // by a full disk or by hand) signs nothing: it is replaced.
  const aside = `${secretFile}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(secretFile), { recursive: true, mode: PRIVATE_DIR_MODE });
    writeFileSync(aside, randomBytes(64).toString("base64"), { mode: PRIVATE_FILE_MODE });
    try {
      linkSync(aside, secretFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (readSecret(secretFile) === undefined) renameSync(aside, secretFile);
    }
  } catch (err) {
    throw secretFailure("write", secretFile, err);
  } finally {
    rmSync(aside, { force: true });
  }
  return readSecret(secretFile)!;
}

/** The secret's text, or undefined when there is none yet (no file, or an empty one). */
export function readSecret(secretFile: string): string | undefined {
  try {
    const text = readFileSync(secretFile, "utf8");
    return text.length > 0 ? text : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw secretFailure("read", secretFile, err);
  }
}

function secretFailure(what: "read" | "write", secretFile: string, err: unknown): Error {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return err as Error;
  return new UserError(`cannot ${what} the API secret ${secretFile} (${code})`);
}

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}
