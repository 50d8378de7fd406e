import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { controlSettings, readControlConfig } from "../../src/cli/control-config.ts";
import { ConfigError } from "../../src/common/errors.ts";
import { DEFAULT_TERMINATE_GRACE_PERIOD, DEFAULT_TERMINATE_TIMEOUT } from "../../src/config/defaults.ts";
import { loadConfig } from "../../src/config/load.ts";
import { configSchema } from "../../src/config/schema.ts";
import { tempDir } from "../helpers/tmp.ts";

const { dir, cleanup } = tempDir("pup-control-config-");
after(cleanup);

let n = 0;
function file(text: string, ext = "json"): string {
  const f = path.join(dir, `c${++n}.${ext}`);
  writeFileSync(f, text);
  return f;
}

describe("the settings control commands read without the validator", () => {
  test("the defaults are the schema's", () => {
    const parsed = configSchema.parse({ processes: [] });
    assert.equal(DEFAULT_TERMINATE_TIMEOUT, parsed.terminateTimeout);
    assert.equal(DEFAULT_TERMINATE_GRACE_PERIOD, parsed.terminateGracePeriod);
  });

  test("name, API address and stop timeouts, the rest ignored", () => {
    assert.deepEqual(
      controlSettings({
        name: "demo",
        api: { hostname: "::", port: 8080, revoked: ["x"] },
        terminateTimeout: 5,
        processes: [{ id: "a", cmd: "x", terminateGracePeriod: 2 }, { id: "b" }],
      }),
      {
        name: "demo",
        api: { hostname: "::", port: 8080 },
        terminateTimeout: 5,
        terminateGracePeriod: DEFAULT_TERMINATE_GRACE_PERIOD,
        processes: [
          { terminateTimeout: undefined, terminateGracePeriod: 2 },
          { terminateTimeout: undefined, terminateGracePeriod: undefined },
        ],
        validated: false,
      },
    );
  });

  test("a setting that is not plainly well-formed is left to the validator", () => {
    for (const raw of [
      null,
      [],
      "x",
      {},
      { processes: {} },
      { processes: [], name: 3 },
      { processes: [], name: "" },
      { processes: [], api: "127.0.0.1" },
      { processes: [], api: { hostname: "" } },
      { processes: [], api: { port: "80" } },
      { processes: [], api: { port: 70000 } },
      { processes: [], api: { port: 1.5 } },
      { processes: [], terminateTimeout: -1 },
      { processes: [], terminateGracePeriod: "5" },
      { processes: [null] },
      { processes: [{ terminateTimeout: "soon" }] },
    ]) {
      assert.equal(controlSettings(raw), undefined, JSON.stringify(raw));
    }
  });

  test("JSON5 files (comments, trailing commas) are read without the validator", async () => {
    const f = file(`// the demo\n{ name: "five", processes: [{ id: "a", cmd: "x", },], }\n`, "jsonc");
    const config = await readControlConfig(f);
    assert.equal(config.name, "five");
    assert.equal(config.validated, false);
  });

  test("a file that is not plainly well-formed gets the validator's error, word for word", async () => {
    const odd = file(JSON.stringify({ processes: [], api: { port: "80" } }));
    const expected = await captured(() => loadConfig({ config: odd }));
    await assert.rejects(readControlConfig(odd), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, expected.message);
      return true;
    });
    const broken = file("{ processes: [ }");
    await assert.rejects(readControlConfig(broken), {
      name: "ConfigError",
      message: /not valid JSON\/JSON5/,
    });
    await assert.rejects(readControlConfig(path.join(dir, "missing.json")), {
      name: "ConfigError",
      message: /cannot read: ENOENT/,
    });
  });
});

async function captured(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a failure");
}
