import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError } from "../../src/common/errors.ts";
import { configJsonSchemaText } from "../../src/config/json-schema.ts";
import { findConfigPath, loadConfig, parseConfig } from "../../src/config/load.ts";
import { ROOT } from "../helpers/pup-process.ts";
import { tempDir } from "../helpers/tmp.ts";

function problem(text: string): string {
  try {
    parseConfig(text, "pup.json");
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.message;
  }
  assert.fail("expected the configuration to be rejected");
}

describe("configuration parsing", () => {
  test("JSON5: comments and trailing commas; defaults filled in", () => {
    const config = parseConfig(
      `{
        // a comment
        "processes": [ { "id": "a", "cmd": "sleep 1", "autostart": true, }, ],
      }`,
      "pup.json",
    );
    const [proc] = config.processes;
    assert.equal(proc.id, "a");
    assert.equal(proc.restartDelayMs, 10_000);
    assert.equal(proc.overrun, false);
    assert.equal(config.terminateTimeout, 30);
    assert.equal(config.terminateGracePeriod, 0);
  });

  test("an invalid enum names the file, the JSON path, the expected and the found value", () => {
    const message = problem(
      JSON.stringify({
        processes: [
          { id: "a", cmd: "x" },
          { id: "b", cmd: "y", restart: "sometimes" },
        ],
      }),
    );
    assert.equal(message, 'pup.json: processes[1].restart: expected "always" or "error", got "sometimes"');
  });

  test("a misspelt key is refused with the closest valid key", () => {
    const message = problem(JSON.stringify({ processes: [{ id: "a", cmd: "x", restartDelay: 5 }] }));
    assert.match(
      message,
      /^pup\.json: processes\[0\]\.restartDelay: unknown key \(did you mean "restartDelayMs"\?\)$/,
    );
    assert.match(
      problem(JSON.stringify({ processes: [], loger: {} })),
      /loger: unknown key \(did you mean "logger"\?\)/,
    );
    assert.match(
      problem(JSON.stringify({ processes: [], logger: { decorateFile: true } })),
      /logger\.decorateFile: unknown key \(did you mean "decorateFiles"\?\)/,
    );
  });

  test("duplicate ids are refused, case-insensitively", () => {
    const message = problem(
      JSON.stringify({
        processes: [
          { id: "Web", cmd: "x" },
          { id: "web", cmd: "y" },
        ],
      }),
    );
    assert.match(message, /processes\[1\]\.id: duplicate process id "web"/);
  });

  test("exactly one of cmd and worker", () => {
    assert.match(
      problem(JSON.stringify({ processes: [{ id: "a" }] })),
      /processes\[0\]: exactly one of "cmd" and "worker" is required, got neither/,
    );
    assert.match(
      problem(JSON.stringify({ processes: [{ id: "a", cmd: "x", worker: ["w.js"] }] })),
      /processes\[0\]: exactly one of "cmd" and "worker" is required, got both/,
    );
  });

  test("an invalid cron expression names the key", () => {
    assert.match(
      problem(JSON.stringify({ processes: [{ id: "a", cmd: "x", cron: "* * *" }] })),
      /processes\[0\]\.cron: expected a cron expression of 5 or 6 fields, got 3/,
    );
    assert.match(
      problem(JSON.stringify({ processes: [{ id: "a", cmd: "x", terminate: "99 * * * *" }] })),
      /processes\[0\]\.terminate: invalid cron expression/,
    );
    // 5 and 6 fields are both fine.
    parseConfig(
      JSON.stringify({ processes: [{ id: "a", cmd: "x", cron: "*/5 * * * *", terminate: "0 0 3 * * *" }] }),
      "pup.json",
    );
  });

  test("types, ranges and patterns", () => {
    assert.match(
      problem(JSON.stringify({ processes: [{ id: "a", cmd: 5 }] })),
      /processes\[0\]\.cmd: expected string, got number 5/,
    );
    assert.match(
      problem(JSON.stringify({ processes: [{ id: "a b", cmd: "x" }] })),
      /processes\[0\]\.id: expected a process id of 1 to 64 characters/,
    );
    assert.match(
      problem(JSON.stringify({ processes: [{ id: "a", cmd: "x", restartDelayMs: -1 }] })),
      /restartDelayMs: expected a number >= 0, got number -1/,
    );
    assert.match(
      problem(JSON.stringify({ processes: [{ id: "a", cmd: "x", cluster: { instances: 0 } }] })),
      /cluster\.instances: expected a number >= 1/,
    );
    assert.match(
      problem(JSON.stringify({ processes: [{ id: "a", cmd: "x", cluster: { commonPort: 3000 } }] })),
      /cluster\.commonPort: commonPort requires startPort/,
    );
    assert.match(problem(JSON.stringify({})), /^pup\.json: processes: required, got nothing$/);
  });

  test("a syntax error gives the line and column", () => {
    assert.match(
      problem('{\n  "processes": [\n  }'),
      /^pup\.json: not valid JSON\/JSON5 at line 3, column 3/,
    );
  });
});

describe("configuration discovery", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const body = (id: string) => JSON.stringify({ processes: [{ id, cmd: "x" }] });

  test("pup.jsonc wins over pup.json; --config and --cwd", () => {
    assert.throws(
      () => findConfigPath({ cwd: dir }),
      /no configuration file: neither pup\.jsonc nor pup\.json/,
    );
    writeFileSync(path.join(dir, "pup.json"), body("from-json"));
    assert.equal(loadConfig({ cwd: dir }).config.processes[0].id, "from-json");
    writeFileSync(path.join(dir, "pup.jsonc"), body("from-jsonc"));
    assert.equal(loadConfig({ cwd: dir }).config.processes[0].id, "from-jsonc");
    writeFileSync(path.join(dir, "other.json"), body("other"));
    const loaded = loadConfig({ cwd: dir, config: "other.json" });
    assert.equal(loaded.config.processes[0].id, "other");
    assert.equal(loaded.dir, dir);
    assert.throws(
      () => loadConfig({ config: path.join(dir, "missing.json") }),
      /configuration file not found/,
    );
  });
});

test("docs/pup.schema.json is generated from the schema and up to date (npm run schema)", () => {
  const checkedIn = readFileSync(path.join(ROOT, "docs", "pup.schema.json"), "utf8");
  assert.equal(
    checkedIn,
    configJsonSchemaText(),
    "docs/pup.schema.json is stale: run `npm run build && npm run schema`",
  );
  const schema = JSON.parse(checkedIn);
  const proc = schema.properties.processes.items;
  assert.deepEqual(proc.properties.restart.enum, ["always", "error"]);
  assert.equal(proc.properties.restartDelayMs.default, 10000);
  assert.equal(proc.additionalProperties, false);
});
