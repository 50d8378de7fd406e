import type { LogEntry } from "./entry.ts";

const RESET = "\x1b[0m";
const GREY = "\x1b[90m";
const GREEN = "\x1b[32m";
const YELLOW = "\x1b[33m";
const RED = "\x1b[31m";

/** `<ISO time> [<SEVERITY>] [<processId>:<category>] <text>` */
export function decorate(entry: LogEntry): string {
  return `${new Date(entry.timeStamp).toISOString()} [${entry.severity.toUpperCase()}] [${entry.processId}:${entry.category}] ${entry.text}`;
}

/** Core grey, starting green, finished yellow, errors red; everything else uncoloured. */
export function colorFor(entry: LogEntry): string | undefined {
  if (entry.severity === "error") return RED;
  if (entry.category === "starting") return GREEN;
  if (entry.category === "finished") return YELLOW;
  if (entry.processId === "core") return GREY;
  return undefined;
}

export function formatLine(entry: LogEntry, options: { decorate: boolean; colors: boolean }): string {
  const line = options.decorate ? decorate(entry) : entry.text;
  if (!options.colors) return line;
  const color = colorFor(entry);
  return color ? `${color}${line}${RESET}` : line;
}

/** Colours only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorsAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}
