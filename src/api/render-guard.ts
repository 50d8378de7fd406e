import type { ProcessEntry, ProcessInfo } from "../core/types.ts";
import type { ApplicationState } from "./state.ts";

/**
 * Keeps one process's unrenderable entry from taking a whole answer down. The only part of a
 * status that did not come from pup itself is the telemetry a process reported: the API validates
 * it, but a plugin, or any path that bypasses the API, may still store something JSON cannot
 * write (a cycle, a BigInt, nesting deep enough to overflow the stack). Answers are rendered as
 * they are; only when that throws is each status checked, and a telemetry that cannot be written
 * is left out of it, with the fault logged once per report.
 */
export class RenderGuard {
  private readonly reported = new WeakSet<object>();

  constructor(private readonly logFault: (text: string) => void) {}

  /** `render(value)`, or, when that throws, `render(repair(value))`. */
  render<T, R>(render: (value: T) => R, value: T, repair: (value: T) => T): R {
    try {
      return render(value);
    } catch {
      return render(repair(value));
    }
  }

  /** The status, without its telemetry if that cannot be written as JSON. */
  status = (status: ProcessInfo): ProcessInfo => {
    const telemetry = status.telemetry;
    if (telemetry === undefined) return status;
    try {
      JSON.stringify(telemetry);
      return status;
    } catch (err) {
      if (!this.reported.has(telemetry)) {
        this.reported.add(telemetry);
        this.logFault(
          `the telemetry of ${status.id} cannot be rendered, left out: ${(err as Error).message}`,
        );
      }
      const { telemetry: _left, ...rest } = status;
      return rest;
    }
  };

  entry = (entry: ProcessEntry): ProcessEntry => ({ ...entry, status: this.status(entry.status) });

  state = (state: ApplicationState): ApplicationState => ({
    ...state,
    processes: state.processes.map(this.status),
  });
}
