import { statSync } from "node:fs";
import path from "node:path";
import { ConfigError, UserError } from "../../common/errors.ts";
import { shQuote } from "../../common/shell-quote.ts";
import { fileLabel, requireProcesses, validateConfig } from "../../config/load.ts";
import type { PupConfig } from "../../config/schema.ts";
import { commandLineConfigPath } from "../../instance/command-line.ts";
import { keepRunningOnFaults } from "../../instance/faults.ts";
import { Instance } from "../../instance/instance.ts";
import { instancePaths } from "../../instance/paths.ts";
import { defaultServices } from "../../instance/services.ts";
import type { ConfigFlags } from "../config-flags.ts";
import { loadFromFlags } from "../load-config.ts";
import { type ProcessFlags, processFromFlags } from "../process-flags.ts";

export type RunFlags = ProcessFlags & ConfigFlags;

/** Quote an argument so that `parseCommand` gives it back unchanged. */
/**
 * `run --cmd …` / `run -- CMD ARGS`: one process and no configuration file. The instance works in
 * `--cwd` (default: here), as the process does, and goes by a name there (commandLineConfigPath)
 * by which `pup status`, `stop`, `logs`… run in that folder find it.
 */
function configFromFlags(flags: RunFlags, extra: string[]): { config: PupConfig; configPath: string } {
  const dir = path.resolve(flags.cwd ?? ".");
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UserError(`--cwd: no such folder: ${dir}`);
  }
  const proc = processFromFlags(
    {
      ...flags,
      cmd: flags.cmd ?? (flags.worker ? undefined : extra.map(shQuote).join(" ")),
      cwd: undefined,
    },
    flags.worker ? extra : [],
  );
  if (!proc.autostart && !proc.cron && !proc.watch) {
    throw new ConfigError("a process run without a configuration file needs --autostart, --cron or --watch");
  }
  const config = validateConfig({ processes: [proc] }, "command line");
  return { config, configPath: commandLineConfigPath(dir, proc.id) };
}

export async function runCommand(flags: RunFlags, extra: string[]): Promise<number> {
  let config: PupConfig;
  let configPath: string;
  const withoutFile = flags.cmd !== undefined || flags.worker !== undefined || extra.length > 0;
  if (withoutFile) {
    ({ config, configPath } = configFromFlags(flags, extra));
  } else {
    const loaded = loadFromFlags({ config: flags.config, cwd: flags.cwd });
    ({ config } = loaded);
    configPath = loaded.path;
    requireProcesses(config, fileLabel(configPath));
  }

  // The instance works from its configuration's folder (the real one, through a symbolic link),
  // as relative paths in it do.
  process.chdir(instancePaths(configPath).dir);
  const instance = new Instance({ config, configPath, withoutFile, services: defaultServices() });
  const removeFaultHandlers = keepRunningOnFaults(instance.logger);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      instance.requestTerminate(signal);
    } else {
      // A second Ctrl+C: stop waiting. The reaper kills whatever is left.
      process.stderr.write(`pup: ${signal} again; exiting now\n`);
      process.exit(130);
    }
  };
  // SIGHUP reloads the configuration (SPEC §8.6); a closed terminal, too, must never stop what the
  // instance supervises (with or without nohup). An invalid file is logged and changes nothing.
  const onHangup = () => {
    instance.reload({ by: "SIGHUP" }).catch((err: Error) => {
      instance.logger.log("error", "reload", `SIGHUP: not reloaded: ${err.message}`);
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onHangup);
  try {
    // A failed start has undone itself (nothing at all when the lock or the folders failed).
    await instance.start();
    await instance.finished;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onHangup);
    removeFaultHandlers();
  }
  return 0;
}
