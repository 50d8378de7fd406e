import { inspect } from "node:util";
import type { Logger } from "../logs/logger.ts";

/** Faults logged in one window at most; a fault that repeats in a tight loop cannot flood the log. */
const MAX_PER_WINDOW = 20;
const WINDOW_MS = 10_000;

/**
 * The last resort of `pup run`. An exception nobody caught (a plugin's timer that throws, a bug
 * in a listener) or a promise rejection nobody handled is a fault of ours or of a plugin, never a
 * reason to abandon every process the instance supervises: it is logged with its stack (category
 * `errored`) and the instance goes on. Returns the function that removes the handlers.
 */
export function keepRunningOnFaults(logger: Logger): () => void {
  let reporting = false;
  let windowStart = 0;
  let inWindow = 0;
  const report = (kind: string) => (fault: unknown) => {
    // A fault raised while logging one (a failing sink) is not logged again through it.
    if (reporting) return;
    const now = Date.now();
    if (now - windowStart > WINDOW_MS) {
      if (inWindow > MAX_PER_WINDOW) log(`${inWindow - MAX_PER_WINDOW} more faults were not logged`);
      windowStart = now;
      inWindow = 0;
    }
    if (++inWindow <= MAX_PER_WINDOW) log(`${kind}; the instance goes on: ${describe(fault)}`);
  };
  const log = (text: string) => {
    reporting = true;
    try {
      logger.log("error", "errored", text);
    } catch {
      // The logger itself failed: the fault has nowhere left to go.
    } finally {
      reporting = false;
    }
  };
  const onException = report("uncaught exception");
  const onRejection = report("unhandled promise rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}

/** The fault with its stack (and, for an Error, its cause and extra fields such as `code`). */
function describe(fault: unknown): string {
  return fault instanceof Error
    ? inspect(fault, { depth: 3 })
    : `${inspect(fault, { depth: 3 })} (not an Error)`;
}
