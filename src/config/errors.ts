import { createRequire } from "node:module";
import type { z } from "zod";
import { ConfigError } from "../common/errors.ts";

type Path = ReadonlyArray<PropertyKey>;

const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

/**
 * `processes[1].restart` from `["processes", 1, "restart"]`; a key that is not a plain name is
 * quoted (`env["MY-VAR"]`, `processes[0]["a\nb"]`), and a long one cut, so that the message
 * stays one short line.
 */
export function formatPath(path: Path): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (!PLAIN_KEY.test(String(part)) || String(part).length > 60) {
      const key = String(part);
      out += `[${JSON.stringify(key.length > 60 ? `${key.slice(0, 57)}...` : key)}]`;
    } else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function quoteList(values: ReadonlyArray<unknown>): string {
  const quoted = values.map((v) => JSON.stringify(v));
  if (quoted.length <= 1) return quoted.join("");
  return `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
}

function valueAt(root: unknown, path: Path): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part as string];
  }
  return current;
}

/** The keys an object schema accepts at `path`, found by walking the schema alongside the path. */
function keysAt(schema: z.ZodType, path: Path): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definition tree
  let node: any = schema;
  const unwrap = () => {
    while (node?._zod?.def && ["optional", "default", "nullable", "pipe"].includes(node._zod.def.type)) {
      node = node._zod.def.type === "pipe" ? node._zod.def.in : node._zod.def.innerType;
    }
  };
  unwrap();
  for (const part of path) {
    if (typeof part === "number") node = node?._zod?.def?.element;
    else node = node?._zod?.def?.shape?.[part];
    unwrap();
  }
  const shape = node?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Only a configuration with a mistake needs it. */
const require = createRequire(import.meta.url);

/** ` (did you mean "x"?)` when one of `valid` is close to `key`, else "". */
export function suggestion(key: string, valid: string[]): string {
  if (valid.length === 0) return "";
  const { closest, distance } = require("fastest-levenshtein") as typeof import("fastest-levenshtein");
  const lower = key.toLowerCase();
  const best = closest(key, valid);
  const prefixHit = valid.find((v) => v.toLowerCase().startsWith(lower) || lower.startsWith(v.toLowerCase()));
  const near = distance(lower, best.toLowerCase()) <= Math.max(2, Math.floor(key.length / 3));
  const pick = near ? best : prefixHit;
  return pick ? ` (did you mean "${pick}"?)` : "";
}

/** One readable sentence per zod issue: `<path>: <what is wrong>`. */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown, schema: z.ZodType): string {
  const path = formatPath(issue.path);
  const at = (p: string) => (p === "" ? "" : `${p}: `);
  const got = describeValue(valueAt(input, issue.path));
  switch (issue.code) {
    case "unrecognized_keys": {
      const valid = keysAt(schema, issue.path);
      return issue.keys
        .map((key) => {
          const keyPath = formatPath([...issue.path, key]);
          return `${keyPath}: unknown key${suggestion(key, valid)}`;
        })
        .join("; ");
    }
    case "invalid_type": {
      if (valueAt(input, issue.path) === undefined) return `${at(path)}required, got nothing`;
      return `${at(path)}expected ${issue.expected}, got ${got}`;
    }
    case "invalid_value":
      return `${at(path)}expected ${quoteList(issue.values)}, got ${got}`;
    case "too_small": {
      const op = issue.inclusive ? ">=" : ">";
      if (issue.origin === "string")
        return `${at(path)}expected at least ${issue.minimum} characters, got ${got}`;
      if (issue.origin === "array") return `${at(path)}expected at least ${issue.minimum} item(s)`;
      return `${at(path)}expected a number ${op} ${issue.minimum}, got ${got}`;
    }
    case "too_big": {
      const op = issue.inclusive ? "<=" : "<";
      if (issue.origin === "string")
        return `${at(path)}expected at most ${issue.maximum} characters, got ${got}`;
      if (issue.origin === "array") return `${at(path)}expected at most ${issue.maximum} item(s)`;
      return `${at(path)}expected a number ${op} ${issue.maximum}, got ${got}`;
    }
    default:
      if (issue.code === "invalid_format" || issue.code === "custom") {
        return `${at(path)}${issue.message}${issue.code === "invalid_format" ? `, got ${got}` : ""}`;
      }
      return `${at(path)}${issue.message}`;
  }
}

/** A problem quoting 100 kB of what the user wrote is cut here: the line has said enough. */
const MAX_PROBLEM_LENGTH = 500;

/**
 * Control characters and line separators escaped, and the length bounded: a message quotes what the user wrote (a key, a
 * cron expression, a dependency), and it must stay one line whatever that was.
 */
export function oneLine(text: string): string {
  const short = text.length > MAX_PROBLEM_LENGTH ? `${text.slice(0, MAX_PROBLEM_LENGTH)}…` : text;
  return short.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (ch) => {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

export function configErrorFromIssues(
  fileLabel: string,
  issues: ReadonlyArray<z.core.$ZodIssue>,
  input: unknown,
  schema: z.ZodType,
): ConfigError {
  const lines = issues.map((issue) => oneLine(`${fileLabel}: ${describeIssue(issue, input, schema)}`));
  const error = new ConfigError(lines.join("; "));
  return Object.assign(error, { problems: lines });
}
