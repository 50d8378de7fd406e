import { isDeepStrictEqual } from "node:util";
import { type ArrayNode, type MemberNode, parse, type Token, type ValueNode } from "@humanwhocodes/momoa";
import JSON5 from "json5";
import {
  DEFAULT_STYLE,
  documentStyle,
  formatValue,
  indentOf,
  lineEnd,
  lineStart,
  neighbourStyle,
  startsLine,
  type TextStyle,
} from "./text-style.ts";

/**
 * Adding and removing an entry of `processes` by editing the file's text (SPEC §8.7): everything
 * outside the edited entry — comments, blank lines, key order, indentation, JSON5 syntax — stays
 * byte for byte as it was. These functions are pure; the caller validates and writes.
 */

/** The file cannot be edited safely; the message says why (without the file name). */
export class UneditableTextError extends Error {}

interface Edit {
  from: number;
  to: number;
  insert: string;
}

interface ProcessesArray {
  array: ArrayNode;
  member: MemberNode;
  body: ValueNode;
  tokens: Token[];
}

function range(node: { range?: [number, number] }): [number, number] {
  if (!node.range) throw new Error("parsed without ranges");
  return node.range;
}

function isComment(token: Token): boolean {
  return token.type === "LineComment" || token.type === "BlockComment";
}

function memberName(member: MemberNode): string {
  return member.name.type === "Identifier" ? member.name.name : member.name.value;
}

function locateProcesses(text: string): ProcessesArray {
  let doc: ReturnType<typeof parse>;
  try {
    doc = parse(text, { mode: "json5", ranges: true, tokens: true });
  } catch (err) {
    throw new UneditableTextError(`cannot read its syntax to edit it (${(err as Error).message})`);
  }
  const body = doc.body;
  // As in JSON5.parse, the last of duplicate keys is the one that counts.
  const member =
    body.type === "Object" ? body.members.findLast((m) => memberName(m) === "processes") : undefined;
  if (member?.value.type !== "Array") throw new UneditableTextError("has no processes array");
  return { array: member.value, member, body, tokens: doc.tokens ?? [] };
}

/** The first token at or after `pos` that is not a comment. */
function nextSignificant(tokens: Token[], pos: number): Token | undefined {
  return tokens.find((t) => range(t)[0] >= pos && !isComment(t));
}

function commaAfter(tokens: Token[], pos: number): Token | undefined {
  const next = nextSignificant(tokens, pos);
  return next?.type === "Comma" ? next : undefined;
}

/** Only whitespace and comments from `pos` to the end of its line. */
function restOfLineIsBlank(text: string, tokens: Token[], pos: number): boolean {
  const end = lineEnd(text, pos);
  return tokens.every((t) => {
    const [from, to] = range(t);
    return from < pos || from >= end || (isComment(t) && to <= end);
  });
}

/** Past the line break that ends the line holding `pos`. */
function afterLineBreak(text: string, pos: number): number {
  const end = lineEnd(text, pos);
  if (text.startsWith("\r\n", end)) return end + 2;
  return end < text.length ? end + 1 : end;
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.from - a.from)) {
    out = out.slice(0, edit.from) + edit.insert + out.slice(edit.to);
  }
  return out;
}

function elementsOf(array: ArrayNode): ValueNode[] {
  return array.elements.map((e) => e.value);
}

/** The separator between two entries on one line, as the file writes it (`, ` or `,`). */
function inlineSeparator(text: string, tokens: Token[], elements: ValueNode[]): string {
  if (elements.length < 2) return " ";
  const comma = commaAfter(tokens, range(elements[elements.length - 2])[1]);
  const gap = comma ? text.slice(range(comma)[1], range(elements[elements.length - 1])[0]) : " ";
  return /^[ \t]*$/.test(gap) ? gap : " ";
}

function appendToEmpty(text: string, found: ProcessesArray, value: unknown): Edit[] {
  const style = documentStyle(text, found.tokens, found.body);
  const [open, end] = range(found.array);
  const close = end - 1;
  const base = indentOf(text, range(found.member)[0]);
  const item = formatValue(value, { ...style, indent: base + style.unit });
  if (text.slice(open + 1, close).trim() === "") {
    const insert = `${style.eol}${base}${style.unit}${item}${style.eol}${base}`;
    return [{ from: open + 1, to: close, insert }];
  }
  // Only comments inside the brackets: the entry goes after them.
  if (startsLine(text, close)) {
    const at = lineStart(text, close);
    return [{ from: at, to: at, insert: `${base}${style.unit}${item}${style.eol}` }];
  }
  return [{ from: close, to: close, insert: ` ${formatValue(value, { ...style, multiline: false })} ` }];
}

function appendAfter(text: string, found: ProcessesArray, value: unknown): Edit[] {
  const { tokens } = found;
  const elements = elementsOf(found.array);
  const last = elements[elements.length - 1];
  const [start, end] = range(last);
  const comma = commaAfter(tokens, end);
  const anchor = comma ? range(comma)[1] : end;
  const fallback = documentStyle(text, tokens, found.body);
  const indent = indentOf(text, start);
  const style: TextStyle = neighbourStyle(text, tokens, last, indent, fallback);
  const item = formatValue(value, style);
  if (!startsLine(text, start)) {
    const sep = inlineSeparator(text, tokens, elements);
    return [
      comma
        ? { from: anchor, to: anchor, insert: `${sep}${item},` }
        : { from: end, to: end, insert: `,${sep}${item}` },
    ];
  }
  // One entry a line: the new one goes on its own line after the last one's trailing comment.
  const at = restOfLineIsBlank(text, tokens, anchor) ? lineEnd(text, anchor) : anchor;
  const edits: Edit[] = [{ from: at, to: at, insert: `${style.eol}${indent}${item}${comma ? "," : ""}` }];
  if (!comma) edits.push({ from: end, to: end, insert: "," });
  return edits;
}

function removeAt(text: string, found: ProcessesArray, index: number): Edit[] {
  const { tokens } = found;
  const elements = elementsOf(found.array);
  const [start, end] = range(elements[index]);
  const comma = commaAfter(tokens, end);
  const anchor = comma ? range(comma)[1] : end;
  if (startsLine(text, start) && restOfLineIsBlank(text, tokens, anchor)) {
    // The entry has its own lines: they go, with a comment at their end; comments above stay.
    const edits: Edit[] = [{ from: lineStart(text, start), to: afterLineBreak(text, anchor), insert: "" }];
    const previous = index > 0 ? commaAfter(tokens, range(elements[index - 1])[1]) : undefined;
    if (!comma && previous) edits.push({ from: range(previous)[0], to: range(previous)[1], insert: "" });
    return edits;
  }
  if (index < elements.length - 1) {
    const next = tokens.find((t) => range(t)[0] >= anchor);
    return [{ from: start, to: next ? range(next)[0] : anchor, insert: "" }];
  }
  if (index > 0) return [{ from: range(elements[index - 1])[1], to: end, insert: "" }];
  return [{ from: start, to: anchor, insert: "" }];
}

/** Refuse a result that differs from the intended one anywhere but in `processes`. */
function checkResult(before: string, after: string, processes: unknown[]): string {
  let parsed: Record<string, unknown>;
  let original: Record<string, unknown>;
  try {
    parsed = JSON5.parse(after);
    original = JSON5.parse(before);
  } catch {
    throw new UneditableTextError("the edit would break its syntax; edit it by hand");
  }
  const same =
    isDeepStrictEqual(parsed.processes, processes) &&
    isDeepStrictEqual({ ...parsed, processes: null }, { ...original, processes: null });
  if (!same) throw new UneditableTextError("the edit would change more than the process; edit it by hand");
  return after;
}

/** `text` with `proc` added at the end of `processes`, formatted like the entries around it. */
export function appendProcessText(text: string, proc: unknown): string {
  const found = locateProcesses(text);
  const edits =
    found.array.elements.length === 0 ? appendToEmpty(text, found, proc) : appendAfter(text, found, proc);
  const before = JSON5.parse(text).processes as unknown[];
  return checkResult(text, applyEdits(text, edits), [...before, proc]);
}

/** `text` without the entry `index` of `processes`. */
export function removeProcessText(text: string, index: number): string {
  const found = locateProcesses(text);
  if (index < 0 || index >= found.array.elements.length) throw new RangeError(`no entry ${index}`);
  const before = JSON5.parse(text).processes as unknown[];
  const after = applyEdits(text, removeAt(text, found, index));
  return checkResult(
    text,
    after,
    before.filter((_, i) => i !== index),
  );
}

/** The text of a new configuration file. */
export function newConfigText(config: unknown): string {
  return `${formatValue(config, DEFAULT_STYLE)}\n`;
}
