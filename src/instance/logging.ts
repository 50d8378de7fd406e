import path from "node:path";
import { idsOf } from "../config/identity.ts";
import type { ProcessConfig, PupConfig } from "../config/schema.ts";
import { ConsoleSink } from "../logs/console-sink.ts";
import { type FileRoute, FileSink } from "../logs/file-sink.ts";
import { colorsAllowed } from "../logs/format.ts";
import { Logger } from "../logs/logger.ts";
import {
  DEFAULT_MAX_FILE_SIZE_MB,
  DEFAULT_MAX_FILES,
  RotatingFileAppender,
  type RotationOptions,
} from "../logs/rotating-file-appender.ts";
import type { LogSink } from "../logs/sink.ts";

/** Every id that log entries of a configured process carry: its own, or its cluster instances'. */
export function processConfigsById(config: PupConfig): Map<string, ProcessConfig> {
  return new Map([...idsOf(config.processes).values()].map((target) => [target.id, target.process]));
}

/** The instance's logger with the console and file sinks of SPEC §2.4. */
export function createLogger(config: PupConfig, configDir: string): Logger {
  const logger = new Logger();
  for (const sink of outputSinks(logger, config, configDir)) logger.addSink(sink);
  return logger;
}

/** What the console and file sinks depend on: a reload that changes it gets new ones. */
export function outputSettings(config: PupConfig): string {
  return JSON.stringify([
    config.logger ?? {},
    config.processes.map((p) => [p.id, p.cluster?.instances, p.logger]),
  ]);
}

/**
 * The console and file sinks a configuration asks for (not yet added). The log store and the
 * instance's other sinks are not among them.
 */
export function outputSinks(logger: Logger, config: PupConfig, configDir: string): LogSink[] {
  const sinks: LogSink[] = [];
  const global = config.logger ?? {};
  const byId = processConfigsById(config);
  const decorate = global.decorate ?? true;

  if (global.console ?? true) {
    sinks.push(
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
    const rotation = rotationByFile(config, configDir, byId);
    sinks.push(
      new FileSink({
        baseDir: configDir,
        global: globalRoute,
        routeFor: (id) => routes.get(id),
        createAppender: (file, onError) =>
          new RotatingFileAppender(file, { onError, ...(rotation.get(file) ?? rotation.get("")!) }),
        // To the other sinks too: a failing file only holds what it is given until it recovers.
        onError: (message, severity = "error") => logger.log(severity, "logger", message),
      }),
    );
  }
  return sinks;
}

/**
 * The rotation of each log file (by absolute path; "" for the global settings): a process's own
 * `maxFileSizeMb`/`maxFiles` for its files, falling back to the global ones, then the defaults.
 */
function rotationByFile(
  config: PupConfig,
  configDir: string,
  byId: Map<string, ProcessConfig>,
): Map<string, RotationOptions> {
  const global = config.logger ?? {};
  const globalRotation: RotationOptions = {
    maxBytes: (global.maxFileSizeMb ?? DEFAULT_MAX_FILE_SIZE_MB) * 1024 * 1024,
    maxFiles: global.maxFiles ?? DEFAULT_MAX_FILES,
  };
  const byFile = new Map<string, RotationOptions>([["", globalRotation]]);
  for (const file of [global.stdout, global.stderr]) {
    if (file) byFile.set(path.resolve(configDir, file), globalRotation);
  }
  for (const proc of byId.values()) {
    const l = proc.logger;
    if (!l) continue;
    const own: RotationOptions = {
      maxBytes: (l.maxFileSizeMb ?? global.maxFileSizeMb ?? DEFAULT_MAX_FILE_SIZE_MB) * 1024 * 1024,
      maxFiles: l.maxFiles ?? global.maxFiles ?? DEFAULT_MAX_FILES,
    };
    for (const file of [l.stdout, l.stderr]) {
      const full = file && path.resolve(configDir, file);
      if (full && !byFile.has(full)) byFile.set(full, own);
    }
  }
  return byFile;
}
