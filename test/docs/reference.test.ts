import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { splitDefault } from "../../scripts/docs/configuration.ts";
import { referenceDocs } from "../../scripts/docs/generate.ts";
import { configJsonSchema } from "../../src/config/json-schema.ts";
import { readConfigFile } from "../../src/config/load.ts";
import { ROOT } from "../helpers/pup-process.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema nodes are plain JSON
type Schema = Record<string, any>;

/** Every key of the JSON Schema with its node, as `processes[].cluster.startPort`. */
function keys(schema: Schema, prefix = ""): Array<[string, Schema]> {
  const found: Array<[string, Schema]> = [];
  for (const [key, node] of Object.entries<Schema>(schema.properties ?? {})) {
    const name = `${prefix}${key}`;
    found.push([name, node]);
    if (node.properties) found.push(...keys(node, `${name}.`));
    if (node.items?.properties) found.push(...keys(node.items, `${name}[].`));
  }
  return found;
}

test("docs/ is generated from the sources and up to date (npm run docs)", async () => {
  for (const [file, text] of await referenceDocs()) {
    const checkedIn = readFileSync(path.join(ROOT, file), "utf8");
    assert.ok(checkedIn === text, `${file} is stale: run \`npm run docs\``);
  }
});

test("every key of the format has a description, and one with a default says it", () => {
  for (const [key, node] of keys(configJsonSchema())) {
    assert.ok(node.description, `${key} has no description`);
    if (node.default !== undefined) {
      assert.ok(splitDefault(node.description).default, `${key}: its description does not say its default`);
    }
  }
});

test("the reference configuration is valid and shows every key of the format", () => {
  const file = path.join(ROOT, "examples", "reference", "pup.jsonc");
  readConfigFile(file);
  const text = readFileSync(file, "utf8");
  for (const [key] of keys(configJsonSchema())) {
    const last = key.split(/\.|\[\]\./).pop()!;
    assert.ok(text.includes(`"${last}"`), `examples/reference/pup.jsonc does not show ${key}`);
  }
});

test("the README's table of process keys agrees with the schema", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const table = readme.slice(readme.indexOf("| key (per process) |"));
  const rows = table.slice(0, table.indexOf("\n\n")).split("\n").slice(2);
  assert.ok(rows.length > 5, "the README has its table of process keys");
  const processKeys = new Set(
    keys(configJsonSchema())
      .map(([k]) => k)
      .filter((k) => k.startsWith("processes[]."))
      .map((k) => k.slice("processes[].".length)),
  );
  for (const row of rows) {
    for (const [, key] of row.split("|")[1].matchAll(/`([^`]+)`/g)) {
      assert.ok(processKeys.has(key), `README names "${key}", which is not a process key`);
    }
  }
});
