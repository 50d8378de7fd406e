import type { Command } from "commander";
import { UserError } from "../../common/errors.ts";
import { isSeverity, type LogEntry, SEVERITIES, type Severity } from "../../logs/entry.ts";
import { colorsAllowed, formatLine } from "../../logs/format.ts";
import type { LogQuery } from "../../logs/query.ts";
import { addConfigFlags, type ConfigFlags, locate, resolveInstancePath } from "../config-flags.ts";
import { refuseUnknownProcessId } from "../known-ids.ts";
import type { ExitCode } from "../main.ts";

/* `logs` (from the store, works while the instance is down) and `monitor` (live, from /wss).
   Their heavy parts (SQLite, the API client, WebSocket) load only when they run. */

const DEFAULT_LINES = 100;
const FOLLOW_POLL_MS = 250;

export interface LogsFlags extends ConfigFlags {
  id?: string;
  severity?: string;
  n?: string;
  start?: string;
  end?: string;
  follow?: boolean;
  json?: boolean;
}

export interface MonitorFlags extends ConfigFlags {
  id?: string;
  severity?: string;
  json?: boolean;
}

export function registerLogCommands(program: Command, exit: ExitCode): void {
  addConfigFlags(program.command("logs").description("print stored log entries, oldest first"))
    .option("--id <id>", "only this process")
    .option("--severity <severity>", `only this severity (${SEVERITIES.join(", ")})`)
    .option("-n <n>", `the newest n entries (default ${DEFAULT_LINES})`)
    .option("--start <iso>", "entries from this time (ISO 8601, e.g. 2026-01-02T03:04:05Z)")
    .option("--end <iso>", "entries up to this time (ISO 8601)")
    .option("-f, --follow", "keep printing new entries until Ctrl+C")
    .option("--json", "one JSON entry per line (NDJSON)")
    .action(async (flags: LogsFlags) => {
      exit.code = await logsCommand(flags);
    });
  addConfigFlags(program.command("monitor").description("stream new log entries live until Ctrl+C"))
    .option("--id <id>", "only this process")
    .option("--severity <severity>", `only this severity (${SEVERITIES.join(", ")})`)
    .option("--json", "one JSON entry per line (NDJSON)")
    .action(async (flags: MonitorFlags) => {
      exit.code = await monitorCommand(flags);
    });
}

// --- flags --------------------------------------------------------------------------------------

export function parseSeverity(value: string | undefined): Severity | undefined {
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (!isSeverity(lower)) {
    throw new UserError(`--severity: expected one of ${SEVERITIES.join(", ")}, got "${value}"`);
  }
  return lower;
}

/** An ISO 8601 date or date-time (a date alone is midnight UTC) as ms since the epoch. */
export function parseTime(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}([T ].*)?$/.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UserError(
      `${flag}: expected an ISO 8601 date or time (e.g. 2026-01-02T03:04:05Z), got "${value}"`,
    );
  }
  return ms;
}

function parseCount(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LINES;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UserError(`-n: expected a whole number of at least 1, got "${value}"`);
  }
  return Number(value);
}

export function queryFromFlags(flags: LogsFlags): LogQuery {
  const query: LogQuery = {
    processId: flags.id,
    severity: parseSeverity(flags.severity),
    start: parseTime("--start", flags.start),
    end: parseTime("--end", flags.end),
    limit: parseCount(flags.n),
  };
  if (query.start !== undefined && query.end !== undefined && query.start > query.end) {
    throw new UserError(`--start (${flags.start}) is after --end (${flags.end})`);
  }
  return query;
}

// --- output -------------------------------------------------------------------------------------

/** Writes entries to stdout as the console shows them (coloured on a terminal), or as NDJSON. */
function entryPrinter(json: boolean | undefined): (entries: LogEntry[]) => void {
  const colors = colorsAllowed(process.stdout);
  const line = json
    ? (e: LogEntry) => JSON.stringify(e)
    : (e: LogEntry) => formatLine(e, { decorate: true, colors });
  // `pup logs | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  return (entries) => {
    for (let i = 0; i < entries.length; i += 1000) {
      const chunk = entries.slice(i, i + 1000).map(line);
      process.stdout.write(`${chunk.join("\n")}\n`);
    }
  };
}

/** Resolves on Ctrl+C (or SIGTERM), for the commands that run until then. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

// --- commands -----------------------------------------------------------------------------------

export async function logsCommand(flags: LogsFlags): Promise<number> {
  const query = queryFromFlags(flags);
  const configPath = resolveInstancePath(flags);
  const { instancePaths } = await import("../../instance/paths.ts");
  const { LogStoreReader } = await import("../../logs/store-reader.ts");
  const reader = new LogStoreReader(instancePaths(configPath).logDatabase);
  const print = entryPrinter(flags.json);
  try {
    if (query.processId !== undefined) {
      const stored = (id: string) => reader.query({ processId: id, limit: 1 }).length > 0;
      await refuseUnknownProcessId(configPath, query.processId, stored);
    }
    if (!flags.follow) {
      print(reader.query(query));
      return 0;
    }
    const first = reader.snapshot(query);
    print(first.entries.map((s) => s.entry));
    let lastId = first.lastId;
    const stop = interrupted();
    let stopped = false;
    void stop.then(() => {
      stopped = true;
    });
    const { start, end, processId, severity } = query;
    while (!stopped) {
      await Promise.race([stop, new Promise((r) => setTimeout(r, FOLLOW_POLL_MS))]);
      if (stopped) break;
      // A store that was replaced (moved aside as corrupt) starts its ids again.
      if (reader.lastId() < lastId) lastId = 0;
      for (;;) {
        const next = reader.after(lastId, { start, end, processId, severity });
        if (next.length === 0) break;
        print(next.map((s) => s.entry));
        lastId = next[next.length - 1].id;
      }
    }
    return 0;
  } finally {
    reader.close();
  }
}

const RECONNECT_MS = 500;

/**
 * Prints the `log` events of the instance's event stream. If the connection is lost (the instance
 * restarts), it says so on stderr and connects again, with a fresh token and the new port, until
 * Ctrl+C. No instance at the first attempt is an error, as for the other commands.
 */
export async function monitorCommand(flags: MonitorFlags): Promise<number> {
  const severity = parseSeverity(flags.severity);
  const { loadConfig } = await import("../../config/load.ts");
  const { localInstance, NoInstanceError } = await import("../../client/local.ts");
  const { default: WebSocket } = await import("ws");
  const { path: configPath, config } = loadConfig(locate(flags));
  if (flags.id !== undefined) await refuseUnknownProcessId(configPath, flags.id, () => false);
  const print = entryPrinter(flags.json);
  const wanted = (e: LogEntry) =>
    (flags.id === undefined || e.processId === flags.id) &&
    (severity === undefined || e.severity === severity);

  let stopped = false;
  let connectedOnce = false;
  let socket: InstanceType<typeof WebSocket> | undefined;
  const stop = interrupted().then(() => {
    stopped = true;
    socket?.close();
  });

  /** One connection, until it closes: "lost" if it had been open, "failed" if it never opened. */
  const connectOnce = async (): Promise<"lost" | "failed"> => {
    let url: string;
    try {
      url = (await localInstance(configPath, config)).client.eventStreamUrl();
    } catch (err) {
      if (err instanceof NoInstanceError) return "failed";
      throw err;
    }
    if (stopped) return "lost";
    return new Promise((resolve) => {
      let opened = false;
      const ws = new WebSocket(url);
      socket = ws;
      ws.on("open", () => {
        opened = true;
        if (connectedOnce) process.stderr.write(`pup: reconnected to the instance for ${configPath}\n`);
        connectedOnce = true;
      });
      ws.on("message", (raw) => {
        let message: { t?: string; d?: LogEntry };
        try {
          message = JSON.parse(String(raw));
        } catch {
          return;
        }
        if (message.t === "log" && message.d && wanted(message.d)) print([message.d]);
      });
      ws.on("error", () => {});
      ws.on("close", () => {
        socket = undefined;
        resolve(opened ? "lost" : "failed");
      });
    });
  };

  while (!stopped) {
    const result = await connectOnce();
    if (stopped) break;
    if (!connectedOnce) throw new NoInstanceError(configPath);
    if (result === "lost") {
      process.stderr.write(`pup: lost the connection to the instance for ${configPath}; reconnecting…\n`);
    }
    await Promise.race([stop, new Promise((r) => setTimeout(r, RECONNECT_MS))]);
  }
  return 0;
}
