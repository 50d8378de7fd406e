import { CORE_PROCESS_ID, type LogEntry } from "./entry.ts";

const RESET = "\x1b[0m";
const GREY = "\x1b[90m";
const GREEN = "\x1b[32m";
const YELLOW = "\x1b[33m";
const RED = "\x1b[31m";

/**
 * Control characters a rendered line must not carry: C0 but tab (newline and carriage return
 * would start a forged line, ESC a terminal sequence), DEL, and C1 (some terminals read U+009B as
 * ESC [).
 */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
/** A colour or style sequence (SGR, `ESC [ … m`), or a control character. */
const STYLE_OR_CONTROL = /\x1b\[[0-9;:]*m|[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/** A control character written out: `\n`, `\r`, `\x1b`. */
function escaped(c: string): string {
  if (c === "\n") return "\\n";
  if (c === "\r") return "\\r";
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/** The text with every control character written out visibly: it stays one inert line. */
function escapeControls(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS, escaped) : text;
}

/**
 * A line of a child's own output: its colours and styles are kept (coloured output is common, and
 * an SGR sequence can neither move the cursor nor start a line), every other control character is
 * written out, and a reset follows a styled line so that its colour does not run into the next.
 */
function escapeChildOutput(text: string): string {
  if (!CONTROL.test(text)) return text;
  let styled = false;
  const out = text.replace(STYLE_OR_CONTROL, (match) => {
    if (match.length === 1) return escaped(match);
    styled = true;
    return match;
  });
  return styled ? `${out}${RESET}` : out;
}

/** A line a child wrote (not a message of pup's about it). */
export function isChildOutput(entry: LogEntry): boolean {
  return entry.processId !== CORE_PROCESS_ID && (entry.category === "stdout" || entry.category === "stderr");
}

/** An entry's text as rendered: a child's output keeps its colours, anything else no control at all. */
function renderedText(entry: LogEntry): string {
  return isChildOutput(entry) ? escapeChildOutput(entry.text) : escapeControls(entry.text);
}

/** `<ISO time> [<SEVERITY>] [<processId>:<category>] <text>` */
export function decorate(entry: LogEntry): string {
  return `${new Date(entry.timeStamp).toISOString()} [${entry.severity.toUpperCase()}] [${escapeControls(entry.processId)}:${escapeControls(entry.category)}] ${renderedText(entry)}`;
}

/** Core grey, starting green, finished yellow, errors red; everything else uncoloured. */
export function colorFor(entry: LogEntry): string | undefined {
  if (entry.severity === "error") return RED;
  if (entry.category === "starting") return GREEN;
  if (entry.category === "finished") return YELLOW;
  if (entry.processId === "core") return GREY;
  return undefined;
}

/**
 * An entry as one line for a terminal or a file: whatever its text holds, it cannot end the line,
 * forge another, or send the terminal anything but a child's own colours.
 */
export function formatLine(entry: LogEntry, options: { decorate: boolean; colors: boolean }): string {
  const line = options.decorate ? decorate(entry) : renderedText(entry);
  if (!options.colors) return line;
  const color = colorFor(entry);
  return color ? `${color}${line}${RESET}` : line;
}

/** Colours only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorsAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}
