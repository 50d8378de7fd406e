import type { Command } from "commander";
import { UserError } from "../../common/errors.ts";
import { isSeverity, type LogEntry, SEVERITIES, type Severity } from "../../logs/entry.ts";
import { colorsAllowed, formatLine } from "../../logs/format.ts";
import type { LogQuery } from "../../logs/query.ts";
import type { LogStoreReader } from "../../logs/store-reader.ts";
import { addConfigFlags, type ConfigFlags, locate, resolveInstancePath } from "../config-flags.ts";
import { refuseUnknownProcessId } from "../known-ids.ts";
import { LiveLines, type StreamedEntry } from "../live-lines.ts";
import type { ExitCode } from "../main.ts";
import { StdoutWriter } from "../stdout-writer.ts";

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
class EntryPrinter {
  readonly out = new StdoutWriter();
  private readonly line: (e: StreamedEntry) => string;
  /** On a terminal, lines being redrawn (`partial` entries of `monitor`) rewrite one line. */
  private readonly live: LiveLines | undefined;

  constructor(json: boolean | undefined) {
    const colors = colorsAllowed(process.stdout);
    this.line = json ? (e) => JSON.stringify(e) : (e) => formatLine(e, { decorate: true, colors });
    if (!json && process.stdout.isTTY) {
      this.live = new LiveLines(this.line, () => process.stdout.columns ?? 80);
    }
  }

  /** Resolves when stdout can take more; nothing is written once the reader has gone. */
  async print(entries: StreamedEntry[]): Promise<void> {
    if (this.live) {
      await this.out.write(entries.map((e) => this.live!.render(e)).join(""));
      return;
    }
    for (let i = 0; i < entries.length && !this.out.closed; i += 1000) {
      await this.out.write(
        `${entries
          .slice(i, i + 1000)
          .map(this.line)
          .join("\n")}\n`,
      );
    }
  }

  /** Everything written is handed to the OS: the process may exit. */
  async end(): Promise<void> {
    if (this.live) await this.out.write(this.live.finish());
    await this.out.end();
  }
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
  await flushRunningInstance(configPath);
  const reader = new LogStoreReader(instancePaths(configPath).logDatabase);
  const printer = new EntryPrinter(flags.json);
  try {
    if (query.processId !== undefined) {
      const stored = (id: string) => reader.query({ processId: id, limit: 1 }).length > 0;
      await refuseUnknownProcessId(configPath, query.processId, stored);
    }
    // Page by page, each read in a short transaction: a slow reader of the output never holds
    // the store, and memory stays bounded whatever -n is.
    const newest = reader.newest(query);
    for (const page of newest.pages) {
      await printer.print(page.map((s) => s.entry));
      if (printer.out.closed) return 0;
    }
    if (flags.follow) await follow(reader, query, newest.lastId, printer);
    await printer.end();
    return 0;
  } finally {
    reader.close();
  }
}

/**
 * A running instance writes a trickle of lines to its store up to half a second late (fewer,
 * bigger commits): asked for its newest entry, it writes out what waits first, so that
 * `pup stop app && pup logs` shows what the stop logged. No instance, or one that does not
 * answer within a second: what is stored is read as it is.
 */
async function flushRunningInstance(configPath: string): Promise<void> {
  const { localInstance } = await import("../../client/local.ts");
  try {
    const { client } = await localInstance(configPath, {}, { timeoutMs: 1000 });
    await client.logs({ nRows: 1 });
  } catch {
    // nothing running here, or not answering: the store alone
  }
}

/** Prints the entries written after `lastId` as they come, until Ctrl+C or the reader goes. */
async function follow(
  reader: LogStoreReader,
  query: LogQuery,
  lastId: number,
  printer: EntryPrinter,
): Promise<void> {
  let stopped = false;
  const stop = interrupted().then(() => {
    stopped = true;
  });
  const { start, end, processId, severity } = query;
  while (!stopped && !printer.out.closed) {
    await Promise.race([stop, new Promise((r) => setTimeout(r, FOLLOW_POLL_MS))]);
    if (stopped) break;
    // A store that was replaced (moved aside as corrupt, or removed) starts its ids again.
    if (reader.lastId() < lastId) lastId = 0;
    for (;;) {
      const next = reader.after(lastId, { start, end, processId, severity });
      if (next.length === 0 || printer.out.closed) break;
      await printer.print(next.map((s) => s.entry));
      lastId = next[next.length - 1].id;
    }
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
  const printer = new EntryPrinter(flags.json);
  const wanted = (e: LogEntry) =>
    (flags.id === undefined || e.processId === flags.id) &&
    (severity === undefined || e.severity === severity);

  let stopped = false;
  let connectedOnce = false;
  let socket: InstanceType<typeof WebSocket> | undefined;
  /** The prints in flight, one after another; the first failure of stdout ends the monitor. */
  let printing: Promise<void> = Promise.resolve();
  let failure: unknown;
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
        let message: { t?: string; d?: StreamedEntry };
        try {
          message = JSON.parse(String(raw));
        } catch {
          return;
        }
        if (message.t !== "log" || !message.d || !wanted(message.d)) return;
        // In order, at the reader's pace: the stream waits while stdout is full.
        const entry = message.d;
        ws.pause();
        printing = printing
          .then(() => printer.print([entry]))
          .then(
            () => ws.resume(),
            (err) => {
              failure ??= err;
              stopped = true;
              ws.close();
            },
          )
          .then(() => {
            // `pup monitor | head`: the reader is gone, and so is the point of going on.
            if (printer.out.closed) {
              stopped = true;
              ws.close();
            }
          });
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
  await printing;
  if (failure) throw failure;
  await printer.end();
  return 0;
}
