import { validateConfig } from "../../src/config/load.ts";
import type { PupConfigInput } from "../../src/config/schema.ts";
import { ProcessState } from "../../src/core/states.ts";
import { Supervisor } from "../../src/core/supervisor.ts";
import type { LogEntry } from "../../src/logs/entry.ts";
import { Logger } from "../../src/logs/logger.ts";
import { waitFor } from "./wait.ts";

export interface StateChange {
  id: string;
  old: number;
  new: number;
  at: number;
  pid?: number;
}

/** A real Supervisor with real children; records every log entry and state change. */
export class SupervisorHarness {
  readonly supervisor: Supervisor;
  readonly entries: LogEntry[] = [];
  readonly changes: StateChange[] = [];

  /** `sampleIntervalMs` 0 (the default here): usage only when a test calls sampleUsage(). */
  constructor(config: PupConfigInput, dir: string, sampleIntervalMs = 0) {
    const logger = new Logger();
    logger.on("log", (e) => this.entries.push(e));
    this.supervisor = new Supervisor({
      config: validateConfig(config, "test config"),
      configDir: dir,
      logger,
      storage: { temp: dir, data: dir },
      sampleIntervalMs,
    });
    this.supervisor.events.on("process_status_changed", (e) =>
      this.changes.push({
        id: e.status.id,
        old: e.old,
        new: e.new,
        at: performance.now(),
        pid: e.status.pid,
      }),
    );
    this.supervisor.start();
  }

  status(id: string) {
    return this.supervisor.get(id).status;
  }

  lines(id: string, category = "stdout"): string[] {
    return this.entries.filter((e) => e.processId === id && e.category === category).map((e) => e.text);
  }

  logText(id: string): string {
    return this.entries
      .filter((e) => e.processId === id)
      .map((e) => `[${e.category}] ${e.text}`)
      .join("\n");
  }

  count(id: string, state: number): number {
    return this.changes.filter((c) => c.id === id && c.new === state && c.old !== state).length;
  }

  waitState(id: string, state: number, timeoutMs = 10_000) {
    return waitFor(
      () => this.status(id).status === state,
      () =>
        `${id} to be ${state} (is ${this.status(id).status}, pid ${this.status(id).pid})\n${this.logText(id)}\n` +
        `state changes: ${JSON.stringify(this.changes.filter((c) => c.id === id))}`,
      timeoutMs,
    );
  }

  waitRunning(id: string, timeoutMs = 10_000) {
    return this.waitState(id, ProcessState.RUNNING, timeoutMs);
  }

  terminate() {
    return this.supervisor.terminate("test over");
  }
}
