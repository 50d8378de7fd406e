import { errorMessage, isUserError } from "../common/errors.ts";

/** A command's failure on stderr; returns the exit code. User errors are one line, never a stack. */
export function reportError(err: unknown): number {
  if (isUserError(err)) {
    process.stderr.write(`pup: ${err.message}\n`);
  } else {
    process.stderr.write(`pup: unexpected error: ${err instanceof Error ? err.stack : errorMessage(err)}\n`);
  }
  return 1;
}
