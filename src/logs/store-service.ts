import { existsSync, rmSync } from "node:fs";
import { errorMessage } from "../common/errors.ts";
import type { InstanceContext, InstanceService } from "../instance/instance.ts";
import type { LogStore } from "./log-store.ts";
import { MemoryLog } from "./memory-log.ts";

export const DEFAULT_RETENTION_HOURS = 48;

/**
 * The instance's log store as a service: opened before the other services, so that everything
 * they log is stored, and written out when the instance stops. The Logger closes it last, so the
 * instance's final messages are stored too. When the file cannot be opened, entries stay in the
 * in-memory log and the instance goes on. With `internalLogHours: 0` there is no store: nothing is
 * kept, `GET /logs` answers no entries, and a store left by an earlier run is removed.
 */
export class LogStoreService implements InstanceService {
  readonly name = "log store";
  private store: LogStore | undefined;

  async start(context: InstanceContext): Promise<void> {
    const logger = context.config.logger;
    const hours = logger?.internalLogHours ?? DEFAULT_RETENTION_HOURS;
    if (hours === 0) return this.disable(context);
    const file = context.paths.logDatabase;
    const report = (message: string, severity: "error" | "info" = "error") =>
      context.logger.log(severity, "logger", message);
    const memory = context.logReader;
    try {
      // Loaded here: every CLI command imports the instance's services, only `pup run` needs SQLite.
      const { LogStore, DEFAULT_MAX_STORE_MB } = await import("./log-store.ts");
      this.store = LogStore.open({
        file,
        retentionHours: hours,
        maxBytes: (logger?.maxStoreMb ?? DEFAULT_MAX_STORE_MB) * 1024 * 1024,
        onError: report,
        fallback: memory,
      });
    } catch (err) {
      report(`cannot open the log store ${file}: ${errorMessage(err)}; log entries are kept in memory only`);
      return;
    }
    // What was logged before the store opened (the instance's first messages).
    if (memory instanceof MemoryLog) {
      for (const entry of memory.query({ limit: Number.MAX_SAFE_INTEGER })) this.store.write(entry);
    }
    context.logger.addSink(this.store);
    context.logReader = this.store;
  }

  /** `internalLogHours: 0`: entries are kept nowhere, and none of an earlier run are served. */
  private disable(context: InstanceContext): void {
    const memory = context.logReader;
    if (memory instanceof MemoryLog) context.logger.removeSink(memory);
    context.logReader = { query: () => [] };
    const file = context.paths.logDatabase;
    if (!existsSync(file)) return;
    try {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      context.logger.log(
        "info",
        "logger",
        `logger.internalLogHours is 0: removed the log store of an earlier run (${file})`,
      );
    } catch (err) {
      context.logger.log("error", "logger", `cannot remove the log store ${file}: ${errorMessage(err)}`);
    }
  }

  async stop(): Promise<void> {
    await this.store?.flush();
  }
}
