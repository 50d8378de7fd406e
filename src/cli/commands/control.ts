import type { ApplicationState } from "../../api/state.ts";
import { ApiError, ApiUnreachableError, type ProcessAction } from "../../client/client.ts";
import { type LocalInstance, localInstance, NoInstanceError } from "../../client/local.ts";
import { UserError } from "../../common/errors.ts";
import { memberIndex } from "../../config/identity.ts";
import { stateName } from "../../core/states.ts";
import type { ProcessInfo } from "../../core/types.ts";
import { isCommandLineInstance } from "../../instance/command-line.ts";
import { colorsAllowed } from "../../logs/format.ts";
import { summarizeAction } from "../action-summary.ts";
import { type ConfigFlags, resolveInstancePath } from "../config-flags.ts";
import {
  type ControlConfig,
  readControlConfig,
  runnableConfigFile,
  validateConfigFile,
} from "../control-config.ts";

/*
 * Kept light on purpose: `pup status` is the command run most often, so this module and its
 * imports load no validator, no fetch and no command-line parser (see ../entry.ts).
 */

/** Reads and quick actions; an instance that does not answer within this is not running. */
const QUICK_TIMEOUT_MS = 3000;

/** How long a stop may take at most by the configuration, plus a margin: for stop, restart, terminate. */
function stopTimeoutMs(config: ControlConfig): number {
  let longest = config.terminateGracePeriod + config.terminateTimeout;
  for (const p of config.processes) {
    longest = Math.max(
      longest,
      (p.terminateGracePeriod ?? config.terminateGracePeriod) +
        (p.terminateTimeout ?? config.terminateTimeout),
    );
  }
  return longest * 1000 + 10_000;
}

interface Session extends LocalInstance {
  configPath: string;
  config: ControlConfig;
}

/**
 * Run `fn` against the configuration's running instance. No answer becomes "no running instance"
 * (or, for a configuration read without the validator, the validator's complaint about it, as a
 * broken file is the likelier story); an API failure becomes its `{error}` message; both exit 1.
 */
export async function withInstance<T>(flags: ConfigFlags, fn: (session: Session) => Promise<T>): Promise<T> {
  const configPath = resolveInstancePath(flags);
  const config = await readControlConfig(configPath);
  try {
    const local = await localInstance(configPath, config, { timeoutMs: QUICK_TIMEOUT_MS });
    return await fn({ ...local, configPath, config });
  } catch (err) {
    if (err instanceof ApiUnreachableError || err instanceof NoInstanceError) {
      if (!config.validated) await validateConfigFile(configPath);
      throw new NoInstanceError(configPath);
    }
    if (err instanceof ApiError) throw new UserError(err.message, err.status);
    throw err;
  }
}

// --- status table -------------------------------------------------------------------------------

const COLORS: Record<string, string> = {
  RUNNING: "\x1b[32m",
  STARTING: "\x1b[36m",
  STOPPING: "\x1b[36m",
  FINISHED: "\x1b[33m",
  ERRORED: "\x1b[31m",
  EXHAUSTED: "\x1b[31m",
  MIXED: "\x1b[35m",
};
const DIM = "\x1b[2m";
const BOLD = "\x1b[1m";
const RESET = "\x1b[0m";

/** "12s ago", "3m ago", "5h ago", "2d ago"; "-" when there is no time. */
export function ago(iso: string | undefined, now: number): string {
  if (!iso) return "-";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** Bytes as "812 KiB", "12.3 MiB", "1.2 GiB"; "-" when unknown. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

const HEALTH_COLORS: Record<string, string> = {
  healthy: "\x1b[32m",
  starting: "\x1b[36m",
  unhealthy: "\x1b[31m",
};

interface Column {
  title: string;
  value: (p: ProcessInfo) => string;
  color?: (p: ProcessInfo) => string | undefined;
  right?: boolean;
}

export interface StatusView {
  state: ApplicationState;
  name?: string;
  configPath: string;
  /** Run without a configuration file: configPath is only its name. */
  commandLine?: boolean;
  url: string;
  colors: boolean;
  now?: number;
}

/** The instance and process table of `pup status`. */
export function formatStatus(view: StatusView): string {
  const { state, colors } = view;
  const now = view.now ?? Date.now();
  const paint = (text: string, color: string | undefined) =>
    colors && color ? `${color}${text}${RESET}` : text;
  const columns: Column[] = [
    // Cluster instances are indented under their cluster.
    { title: "ID", value: (p) => (isInstance(p, state.processes) ? `  ${p.id}` : p.id) },
    { title: "TYPE", value: (p) => p.type },
    { title: "STATUS", value: (p) => stateName(p.status), color: (p) => COLORS[stateName(p.status)] },
    { title: "HEALTH", value: (p) => p.health ?? "-", color: (p) => HEALTH_COLORS[p.health ?? ""] ?? DIM },
    {
      title: "BLOCKED",
      value: (p) => (p.blocked ? "yes" : "no"),
      color: (p) => (p.blocked ? "\x1b[33m" : DIM),
    },
    { title: "STARTED", value: (p) => ago(p.started, now) },
    { title: "EXITED", value: (p) => ago(p.exited, now) },
    { title: "RESTARTS", value: (p) => String(p.restarts), right: true },
    { title: "RSS", value: (p) => bytes(p.rss), right: true },
    { title: "CPU", value: (p) => (p.cpu === undefined ? "-" : `${p.cpu.toFixed(1)}%`), right: true },
    { title: "CODE", value: (p) => (p.code !== undefined ? String(p.code) : (p.signal ?? "-")) },
  ];
  const cells = state.processes.map((p) => columns.map((c) => c.value(p)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  const pad = (text: string, i: number) =>
    columns[i].right ? text.padStart(widths[i]) : text.padEnd(widths[i]);
  const header = columns.map((c, i) => pad(c.title, i)).join("  ");
  const rows = state.processes.map((p, r) =>
    columns
      .map((c, i) => paint(pad(cells[r][i], i), c.color?.(p)))
      .join("  ")
      .trimEnd(),
  );
  const uptime = ago(state.started, now).replace(" ago", "");
  const lines = [
    `${paint("instance", BOLD)}  ${view.name ?? "(unnamed)"} (pid ${state.pid}, pup ${state.version}, up ${uptime})`,
    `${paint("config", BOLD)}    ${view.configPath}${view.commandLine ? " (none: run from the command line; --config takes this name)" : ""}`,
    `${paint("api", BOLD)}       ${view.url}`,
    "",
    paint(header.trimEnd(), BOLD),
    ...rows,
    ...balancerLines(state.balancers ?? [], (text) => paint(text, BOLD)),
  ];
  return `${lines.join("\n")}\n`;
}

type BalancerStats = NonNullable<ApplicationState["balancers"]>[number];

/** Why a backend gets new connections or not, in one word or two. */
function rotationState(b: BalancerStats["backends"][number]): string {
  if (!b.running) return "stopped";
  if (b.drained) return "drained";
  if (!b.healthy) return "unhealthy";
  return b.up ? "in rotation" : "down";
}

/** Under the process table: each load balancer, and its connections per instance. */
function balancerLines(balancers: BalancerStats[], bold: (text: string) => string): string[] {
  const lines: string[] = [];
  for (const lb of balancers) {
    const waiting = lb.held > 0 ? `, ${lb.held} waiting` : "";
    const dropped = lb.dropped > 0 ? `, ${lb.dropped} dropped` : "";
    lines.push(
      "",
      `${bold("balancer")}  ${lb.process} on port ${lb.port} (${lb.strategy}${waiting}${dropped})`,
    );
    const rows = [
      ["INSTANCE", "PORT", "STATE", "OPEN", "TOTAL", "FAILED"],
      ...lb.backends.map((b) => [
        b.name,
        String(b.port),
        rotationState(b),
        String(b.open),
        String(b.total),
        String(b.failed),
      ]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: string[]) =>
      `  ${r.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ")}`;
    lines.push(bold(line(rows[0])), ...rows.slice(1).map(line));
  }
  return lines;
}

/** Whether a status is one of a cluster's instances (listed right after its cluster). */
function isInstance(p: ProcessInfo, all: ProcessInfo[]): boolean {
  if (p.type === "cluster") return false;
  return all.some(
    (q) => q.type === "cluster" && memberIndex(q.id, Number.POSITIVE_INFINITY, p.id) !== undefined,
  );
}

// --- commands -----------------------------------------------------------------------------------

export async function statusCommand(flags: ConfigFlags & { json?: boolean }): Promise<number> {
  return withInstance(flags, async ({ client, config, configPath, url }) => {
    const state = await client.state();
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
    } else {
      process.stdout.write(
        formatStatus({
          state,
          name: config.name,
          configPath,
          commandLine: isCommandLineInstance(configPath),
          url,
          colors: colorsAllowed(process.stdout),
        }),
      );
    }
    return 0;
  });
}

export async function actionCommand(action: ProcessAction, id: string, flags: ConfigFlags): Promise<number> {
  return withInstance(flags, async ({ client, config }) => {
    const slow = action === "stop" || action === "restart";
    // The statuses before, to tell "already running" from "started" (the API answers 200 to both).
    const before = action === "restart" ? [] : (await client.state()).processes;
    const after = await client.action(action, id, slow ? { timeoutMs: stopTimeoutMs(config) } : {});
    process.stdout.write(`${summarizeAction(action, id, before, after)}\n`);
    return 0;
  });
}

export async function terminateCommand(flags: ConfigFlags): Promise<number> {
  return withInstance(flags, async ({ client, config, configPath, paths }) => {
    const { lockHolder } = await import("../../instance/lock.ts");
    await client.terminate();
    // The answer comes first; the instance is gone once it has released its lock.
    const deadline = Date.now() + stopTimeoutMs(config);
    while (lockHolder(paths.lockFile) !== undefined) {
      if (Date.now() > deadline) throw new UserError(`the instance for ${configPath} is still terminating`);
      await new Promise((r) => setTimeout(r, 50));
    }
    process.stdout.write(`terminated the instance for ${configPath}\n`);
    return 0;
  });
}

/** `pup reload`: the instance re-reads its file and applies the difference (SPEC §8.6). */
export async function reloadCommand(
  flags: ConfigFlags & { json?: boolean; dryRun?: boolean },
): Promise<number> {
  return withInstance(flags, async ({ client, config, configPath }) => {
    // Checked here first, so that a mistake reads exactly as `pup run` here would print it (an
    // instance without a file says itself that there is nothing to reload).
    if (!isCommandLineInstance(configPath)) {
      await runnableConfigFile(configPath);
    }
    const result = await client.reload({ dryRun: flags.dryRun, timeoutMs: stopTimeoutMs(config) });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    const list = (ids: string[]) => (ids.length > 0 ? ids.join(", ") : "-");
    const lines = [
      flags.dryRun ? "would reload (dry run, nothing changed):" : "reloaded:",
      `  added      ${list(result.added)}`,
      `  removed    ${list(result.removed)}`,
      `  changed    ${list(result.changed)}`,
      `  unchanged  ${list(result.unchanged)}`,
    ];
    if (result.notApplied.length > 0)
      lines.push(`  needs a restart of the instance: ${result.notApplied.join(", ")}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  });
}
