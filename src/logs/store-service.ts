import { errorMessage } from "../common/errors.ts";
import type { InstanceContext, InstanceService } from "../instance/instance.ts";
import type { LogStore } from "./log-store.ts";
import { MemoryLog } from "./memory-log.ts";

export const DEFAULT_RETENTION_HOURS = 48;

/**
 * The instance's log store as a service: opened before the other services, so that everything
 * they log is stored, and written out when the instance stops. The Logger closes it last, so the
 * instance's final messages are stored too. With `internalLogHours: 0`, or when the file cannot
 * be opened, entries stay in the in-memory log and the instance goes on.
 */
export class LogStoreService implements InstanceService {
  readonly name = "log store";
  private store: LogStore | undefined;

  async start(context: InstanceContext): Promise<void> {
    const hours = context.config.logger?.internalLogHours ?? DEFAULT_RETENTION_HOURS;
    if (hours === 0) return;
    const file = context.paths.logDatabase;
    const report = (message: string) => context.logger.log("error", "logger", message);
    const memory = context.logReader;
    try {
      // Loaded here: every CLI command imports the instance's services, only `pup run` needs SQLite.
      const { LogStore } = await import("./log-store.ts");
      this.store = LogStore.open({ file, retentionHours: hours, onError: report, fallback: memory });
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

  async stop(): Promise<void> {
    await this.store?.flush();
  }
}
