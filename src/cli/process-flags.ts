import { type Command, Option } from "commander";
import { UserError } from "../common/errors.ts";
import { type ProcessConfigInput, STRATEGIES, type Strategy } from "../config/schema.ts";

/** What `-d, --cwd` says in `init` and `append`: the process's `cwd` key. */
const PROCESS_CWD = "working directory of the process (its cwd key; relative to the configuration's folder)";

/**
 * The process flags shared by `init`, `append` and `run` without a configuration file. `run` says
 * what `--cwd` means to it (the folder it works in: see main.ts).
 */
export function addProcessFlags(command: Command, cwdDescription = PROCESS_CWD): Command {
  return command
    .option("-I, --id <id>", "process id")
    .option("-C, --cmd <command>", "command line to run")
    .option("-W, --worker <file>", "JavaScript file to run as a worker thread")
    .option("-d, --cwd <dir>", cwdDescription)
    .option("-A, --autostart", "start when the instance starts")
    .option("-O, --cron <pattern>", "start on this cron schedule")
    .option("-w, --watch <paths...>", "restart when files under these paths change")
    .option("-T, --terminate <pattern>", "stop on this cron schedule")
    .addOption(new Option("--restart <policy>", "restart policy").choices(["always", "error"]))
    .option("--restart-delay <ms>", "delay before an automatic restart, ms")
    .option("--restart-limit <n>", "automatic restarts before EXHAUSTED")
    .option("--timeout <seconds>", "stop the process after this many seconds")
    .option("--instances <n>", "run a cluster of n instances")
    .option("--start-port <port>", "first port of the cluster instances")
    .option("--common-port <port>", "port of the cluster's load balancer")
    .addOption(new Option("--strategy <strategy>", "load-balancing strategy").choices(STRATEGIES))
    .option("--stdout <file>", "append the process's output to this file")
    .option("--stderr <file>", "append the process's errors to this file");
}

export interface ProcessFlags {
  id?: string;
  cmd?: string;
  worker?: string;
  cwd?: string;
  autostart?: boolean;
  cron?: string;
  watch?: string[];
  terminate?: string;
  restart?: "always" | "error";
  restartDelay?: string;
  restartLimit?: string;
  timeout?: string;
  instances?: string;
  startPort?: string;
  commonPort?: string;
  strategy?: Strategy;
  stdout?: string;
  stderr?: string;
}

function toNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UserError(`--${flag}: expected a number, got "${value}"`);
  return n;
}

/** A process definition from flags; validation happens with the whole configuration. */
export function processFromFlags(flags: ProcessFlags, extraArgs: string[] = []): ProcessConfigInput {
  const proc: ProcessConfigInput = { id: flags.id ?? "task" };
  if (flags.cmd !== undefined) proc.cmd = flags.cmd;
  if (flags.worker !== undefined) proc.worker = [flags.worker, ...extraArgs];
  if (flags.cwd !== undefined) proc.cwd = flags.cwd;
  if (flags.autostart) proc.autostart = true;
  if (flags.cron !== undefined) proc.cron = flags.cron;
  if (flags.watch !== undefined) proc.watch = flags.watch;
  if (flags.terminate !== undefined) proc.terminate = flags.terminate;
  if (flags.restart !== undefined) proc.restart = flags.restart;
  const restartDelay = toNumber("restart-delay", flags.restartDelay);
  if (restartDelay !== undefined) proc.restartDelayMs = restartDelay;
  const restartLimit = toNumber("restart-limit", flags.restartLimit);
  if (restartLimit !== undefined) proc.restartLimit = restartLimit;
  const timeout = toNumber("timeout", flags.timeout);
  if (timeout !== undefined) proc.timeout = timeout;
  const instances = toNumber("instances", flags.instances);
  const startPort = toNumber("start-port", flags.startPort);
  const commonPort = toNumber("common-port", flags.commonPort);
  if (instances !== undefined || startPort !== undefined || commonPort !== undefined || flags.strategy) {
    proc.cluster = {};
    if (instances !== undefined) proc.cluster.instances = instances;
    if (startPort !== undefined) proc.cluster.startPort = startPort;
    if (commonPort !== undefined) proc.cluster.commonPort = commonPort;
    if (flags.strategy) proc.cluster.strategy = flags.strategy;
  }
  if (flags.stdout !== undefined || flags.stderr !== undefined) {
    proc.logger = {};
    if (flags.stdout !== undefined) proc.logger.stdout = flags.stdout;
    if (flags.stderr !== undefined) proc.logger.stderr = flags.stderr;
  }
  return proc;
}
