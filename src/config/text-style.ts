import type { ObjectNode, Token, ValueNode } from "@humanwhocodes/momoa";

/**
 * How the entries of a configuration file are written, read off an existing entry, so that a new
 * one looks like its neighbours: same indentation, quotes, key quoting and layout.
 */
export interface TextStyle {
  eol: "\n" | "\r\n";
  /** Indentation of the line where the value starts. */
  indent: string;
  /** One level of indentation. */
  unit: string;
  quote: '"' | "'";
  /** JSON5 identifiers as keys where possible (`id: "web"`). */
  bareKeys: boolean;
  /** Objects over several lines, one member a line; otherwise on one line. */
  multiline: boolean;
  /** On one line: `{ "id": "web" }` rather than `{"id": "web"}`. */
  padded: boolean;
  /** A space after `:` and `,` on one line. */
  spaced: boolean;
  /** A comma after the last member of a multi-line object. */
  trailingComma: boolean;
}

export const DEFAULT_STYLE: TextStyle = {
  eol: "\n",
  indent: "",
  unit: "  ",
  quote: '"',
  bareKeys: false,
  multiline: true,
  padded: true,
  spaced: true,
  trailingComma: false,
};

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function lineStart(text: string, pos: number): number {
  return text.lastIndexOf("\n", pos - 1) + 1;
}

/** Where the line break after `pos` begins (before a `\r\n`), or the end of the text. */
export function lineEnd(text: string, pos: number): number {
  const nl = text.indexOf("\n", pos);
  if (nl < 0) return text.length;
  return text[nl - 1] === "\r" ? nl - 1 : nl;
}

/** The whitespace that begins the line holding `pos`. */
export function indentOf(text: string, pos: number): string {
  const start = lineStart(text, pos);
  return /^[ \t]*/.exec(text.slice(start, pos))?.[0] ?? "";
}

/** Nothing but indentation before `pos` on its line. */
export function startsLine(text: string, pos: number): boolean {
  return text.slice(lineStart(text, pos), pos).trim() === "";
}

function eolOf(text: string): TextStyle["eol"] {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

function range(node: { range?: [number, number] }): [number, number] {
  if (!node.range) throw new Error("parsed without ranges");
  return node.range;
}

function firstString(text: string, tokens: Token[], from: number, to: number): string | undefined {
  const token = tokens.find((t) => t.type === "String" && range(t)[0] >= from && range(t)[1] <= to);
  return token ? text[range(token)[0]] : undefined;
}

/** The style of a whole document: its first member's indentation and its first string's quotes. */
export function documentStyle(text: string, tokens: Token[], body: ValueNode): TextStyle {
  const style: TextStyle = { ...DEFAULT_STYLE, eol: eolOf(text) };
  const quote = firstString(text, tokens, 0, text.length);
  if (quote === "'") style.quote = "'";
  if (body.type === "Object" && body.members.length > 0) {
    const first = body.members[0];
    const at = range(first)[0];
    const indent = indentOf(text, at);
    if (startsLine(text, at) && indent !== "") style.unit = indent;
    style.bareKeys = first.name.type === "Identifier";
  }
  return style;
}

/** The style of `neighbour`, an entry whose line is indented by `indent`. */
export function neighbourStyle(
  text: string,
  tokens: Token[],
  neighbour: ValueNode,
  indent: string,
  fallback: TextStyle,
): TextStyle {
  const style: TextStyle = { ...fallback, indent };
  if (neighbour.type !== "Object" || neighbour.members.length === 0) return style;
  const [from, to] = range(neighbour);
  const quote = firstString(text, tokens, from, to);
  if (quote === '"' || quote === "'") style.quote = quote;
  style.bareKeys = neighbour.members[0].name.type === "Identifier";
  style.multiline = text.slice(from, to).includes("\n");
  return style.multiline
    ? multilineDetails(text, tokens, neighbour, style)
    : inlineDetails(text, neighbour, style);
}

function multilineDetails(text: string, tokens: Token[], node: ObjectNode, style: TextStyle): TextStyle {
  const memberIndent = indentOf(text, range(node.members[0])[0]);
  if (memberIndent.length > style.indent.length && memberIndent.startsWith(style.indent)) {
    style.unit = memberIndent.slice(style.indent.length);
  }
  const lastEnd = range(node.members[node.members.length - 1])[1];
  const next = tokens.find((t) => range(t)[0] >= lastEnd && !t.type.endsWith("Comment"));
  style.trailingComma = next?.type === "Comma";
  return style;
}

function inlineDetails(text: string, node: ObjectNode, style: TextStyle): TextStyle {
  const [from] = range(node);
  style.padded = /\s/.test(text[from + 1] ?? "");
  const first = node.members[0];
  style.spaced = /\s/.test(text.slice(range(first.name)[1], range(first.value)[0]));
  return style;
}

/** A JSON5 string literal in the style's quotes. */
function formatString(value: string, quote: TextStyle["quote"]): string {
  const json = JSON.stringify(value);
  if (quote === '"') return json;
  const inner = json.slice(1, -1).replace(/\\.|'/g, (m) => (m === '\\"' ? '"' : m === "'" ? "\\'" : m));
  return `'${inner}'`;
}

function formatKey(key: string, style: TextStyle): string {
  return style.bareKeys && IDENTIFIER.test(key) ? key : formatString(key, style.quote);
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== "object";
}

/** Scalars on one line; objects one a line when the style is multi-line. */
function formatArray(value: unknown[], style: TextStyle, depth: number): string {
  if (!style.multiline || value.every(isScalar)) {
    const items = value.map((v) => formatValue(v, { ...style, multiline: false }, depth + 1));
    return `[${items.join(style.spaced ? ", " : ",")}]`;
  }
  const inner = style.indent + style.unit.repeat(depth + 1);
  const items = value.map((v) => `${inner}${formatValue(v, style, depth + 1)}`);
  return `[${style.eol}${items.join(`,${style.eol}`)}${style.eol}${style.indent}${style.unit.repeat(depth)}]`;
}

/** `value` written in `style`, its first line to follow `style.indent` + `depth` units. */
export function formatValue(value: unknown, style: TextStyle, depth = 0): string {
  if (typeof value === "string") return formatString(value, style.quote);
  if (isScalar(value)) return JSON.stringify(value);
  const colon = style.spaced ? ": " : ":";
  const comma = style.spaced ? ", " : ",";
  if (Array.isArray(value)) return formatArray(value, style, depth);
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  if (!style.multiline) {
    const members = entries.map(
      ([k, v]) => `${formatKey(k, style)}${colon}${formatValue(v, style, depth + 1)}`,
    );
    const pad = style.padded ? " " : "";
    return `{${pad}${members.join(comma)}${pad}}`;
  }
  const inner = style.indent + style.unit.repeat(depth + 1);
  const members = entries.map(
    ([k, v]) => `${inner}${formatKey(k, style)}: ${formatValue(v, style, depth + 1)}`,
  );
  const tail = style.trailingComma ? "," : "";
  return `{${style.eol}${members.join(`,${style.eol}`)}${tail}${style.eol}${style.indent}${style.unit.repeat(depth)}}`;
}
