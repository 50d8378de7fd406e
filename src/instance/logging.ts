import type { ProcessConfig, PupConfig } from "../config/schema.ts";
import { ConsoleSink } from "../logs/console-sink.ts";
import { type FileRoute, FileSink } from "../logs/file-sink.ts";
import { colorsAllowed } from "../logs/format.ts";
import { Logger } from "../logs/logger.ts";

/** Every id that log entries of a configured process carry: its own, or its cluster instances'. */
export function processConfigsById(config: PupConfig): Map<string, ProcessConfig> {
  const byId = new Map<string, ProcessConfig>();
  for (const proc of config.processes) {
    byId.set(proc.id, proc);
    const n = proc.cluster?.instances ?? 0;
    for (let i = 1; i <= n; i++) byId.set(`${proc.id}-${i}`, proc);
  }
  return byId;
}

/** The instance's logger with the console and file sinks of SPEC §2.4. */
export function createLogger(config: PupConfig, configDir: string): Logger {
  const logger = new Logger();
  const global = config.logger ?? {};
  const byId = processConfigsById(config);
  const decorate = global.decorate ?? true;

  if (global.console ?? true) {
    logger.addSink(
      new ConsoleSink({
        decorate,
        colors: (global.colors ?? true) && colorsAllowed(process.stdout),
        enabledFor: (id) => byId.get(id)?.logger?.console ?? true,
      }),
    );
  }

  const routes = new Map<string, FileRoute>();
  for (const [id, proc] of byId) {
    const l = proc.logger;
    if (l?.stdout || l?.stderr)
      routes.set(id, { stdout: l.stdout, stderr: l.stderr, decorate: l.decorateFiles ?? false });
  }
  const globalRoute: FileRoute = {
    stdout: global.stdout,
    stderr: global.stderr,
    decorate: global.decorateFiles ?? decorate,
  };
  if (globalRoute.stdout || globalRoute.stderr || routes.size > 0) {
    const reported = new Set<string>();
    logger.addSink(
      new FileSink({
        baseDir: configDir,
        global: globalRoute,
        routeFor: (id) => routes.get(id),
        onError: (message) => {
          // Once per file, and not through the file sinks, which would fail again.
          if (reported.has(message)) return;
          reported.add(message);
          process.stderr.write(`${new Date().toISOString()} [ERROR] [core:logger] ${message}\n`);
        },
      }),
    );
  }
  return logger;
}
