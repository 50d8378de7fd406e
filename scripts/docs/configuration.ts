import { readFileSync } from "node:fs";
import JSON5 from "json5";
import { configJsonSchema } from "../../src/config/json-schema.ts";
import { banner, code, table } from "./markdown.ts";

/*
 * docs/configuration.md from the JSON Schema (itself generated from src/config/schema.ts): every
 * key with its type, default and meaning, and an example taken from examples/reference/pup.jsonc.
 */

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema nodes are plain JSON
type Schema = Record<string, any>;

const REFERENCE = new URL("../../examples/reference/pup.jsonc", import.meta.url);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** `(default …)` at the end of a description: the default, and the meaning without it. */
export function splitDefault(description: string): { meaning: string; default?: string } {
  const match = /\s*\(default:? ((?:[^()]|\([^()]*\))*)\)$/.exec(description);
  if (!match) return { meaning: description };
  return { meaning: description.slice(0, match.index), default: match[1] };
}

function range(s: Schema): string {
  const parts: string[] = [];
  const max = s.maximum !== undefined && s.maximum < MAX_SAFE ? s.maximum : undefined;
  if (s.minimum !== undefined && max !== undefined) return ` ${s.minimum}–${max}`;
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (max !== undefined) parts.push(`≤ ${max}`);
  return parts.length > 0 ? ` ${parts.join(", ")}` : "";
}

/** A JSON Schema node as a short type: `integer 0–86400000`, `"always" | "error"`, `string[]`. */
export function typeOf(s: Schema): string {
  if (s.enum) return s.enum.map((v: unknown) => JSON.stringify(v)).join(" | ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" or ");
  switch (s.type) {
    case "number":
    case "integer":
      return `${s.type}${range(s)}`;
    case "array":
      return s.items ? `${typeOf(s.items)}[]` : "array";
    case "object":
      if (s.properties) return "object";
      if (s.additionalProperties?.type) return `object of ${s.additionalProperties.type}s`;
      return "object";
    case undefined:
      return "any";
    default:
      return s.type;
  }
}

/** The value at a key path of the reference configuration (`processes[]`: the first that has it). */
function exampleAt(reference: unknown, path: string[]): unknown {
  let values: unknown[] = [reference];
  for (const part of path) {
    const next: unknown[] = [];
    for (const v of values) {
      if (part === "[]" && Array.isArray(v)) next.push(...v);
      else if (v !== null && typeof v === "object" && part in v)
        next.push((v as Record<string, unknown>)[part]);
    }
    values = next;
  }
  return values[0];
}

interface Section {
  title: string;
  path: string[];
  schema: Schema;
}

/** Every object of the format, depth first: the top level, `api`, …, `processes[]`, `processes[].cluster`. */
function sections(schema: Schema, path: string[] = [], title = "Top level"): Section[] {
  const found: Section[] = [{ title, path, schema }];
  for (const [key, child] of Object.entries<Schema>(schema.properties ?? {})) {
    if (child.properties) found.push(...sections(child, [...path, key], keyName([...path, key])));
    else if (child.items?.properties) {
      found.push(...sections(child.items, [...path, key, "[]"], keyName([...path, key, "[]"])));
    }
  }
  return found;
}

function keyName(path: string[]): string {
  return path.join(".").replace(/\.\[\]/g, "[]");
}

function exampleText(value: unknown, key: string): string {
  if (value === undefined) return "—";
  const text = JSON.stringify(value);
  return text.length <= 80 ? code(`"${key}": ${text}`) : "see examples/reference/pup.jsonc";
}

function rows(section: Section, reference: unknown): string[][] {
  return Object.entries<Schema>(section.schema.properties ?? {}).map(([key, s]) => {
    const { meaning, default: stated } = splitDefault(s.description ?? "");
    const fallback = s.default !== undefined ? JSON.stringify(s.default) : undefined;
    const required = (section.schema.required ?? []).includes(key);
    const nested = s.properties || s.items?.properties;
    const type = nested
      ? `${typeOf(s)} (see ${code(keyName([...section.path, key, ...(s.items ? ["[]"] : [])]))})`
      : typeOf(s);
    return [
      code(key),
      type,
      required ? "required" : (stated ?? fallback ?? "—"),
      meaning,
      exampleText(exampleAt(reference, [...section.path, key]), key),
    ];
  });
}

export function renderConfiguration(): string {
  const schema = configJsonSchema() as Schema;
  const reference = JSON5.parse(readFileSync(REFERENCE, "utf8"));
  const parts = [
    banner(
      "Configuration reference",
      "src/config/schema.ts (the same source as the validator and docs/pup.schema.json)",
    ),
    "`pup.json` or `pup.jsonc` (JSON5: comments and trailing commas allowed). Unknown keys are errors. " +
      "Relative paths resolve from the configuration file's folder. Every key in one file: " +
      "[examples/reference/pup.jsonc](../examples/reference/pup.jsonc). For editors: " +
      '`"$schema": "./node_modules/pup/docs/pup.schema.json"`.\n',
  ];
  for (const section of sections(schema)) {
    const { meaning } = splitDefault(section.schema.description ?? "");
    parts.push(`## ${section.path.length === 0 ? section.title : code(section.title)}\n`);
    if (section.path.length > 0 && meaning) parts.push(`${meaning[0].toUpperCase()}${meaning.slice(1)}.\n`);
    parts.push(`${table(["key", "type", "default", "meaning", "example"], rows(section, reference))}\n`);
  }
  return parts.join("\n");
}
