import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { diffConfigs, liveChanges, sameValue } from "../../src/config/diff.ts";
import { validateConfig } from "../../src/config/load.ts";
import type { PupConfig } from "../../src/config/schema.ts";

const config = (raw: Record<string, unknown>): PupConfig => validateConfig(raw, "pup.json");

const web = { id: "web", cmd: "node server.js", autostart: true };
const job = { id: "job", cmd: "echo hi", cron: "0 * * * *" };
const api = { id: "api", cmd: "node api.js", cluster: { instances: 2, startPort: 3000 } };

describe("diffConfigs", () => {
  test("the same file: every process unchanged, nothing else", () => {
    const a = config({ processes: [web, job, api], api: { port: 8080 }, logger: { stdout: "x.log" } });
    const b = config({ processes: [web, job, api], api: { port: 8080 }, logger: { stdout: "x.log" } });
    assert.deepEqual(diffConfigs(a, b), {
      added: [],
      removed: [],
      changed: [],
      unchanged: ["web", "job", "api"],
      notApplied: [],
    });
  });

  test("added, removed, changed and unchanged, each in its file's order", () => {
    const a = config({ processes: [web, job, api] });
    const b = config({
      processes: [
        { id: "worker", cmd: "node w.js" },
        { ...api, cluster: { instances: 3, startPort: 3000 } },
        web,
      ],
    });
    assert.deepEqual(diffConfigs(a, b), {
      added: ["worker"],
      removed: ["job"],
      changed: ["api"],
      unchanged: ["web"],
      notApplied: [],
    });
  });

  test("any key of a definition counts, nested ones too", () => {
    const variants: Array<Record<string, unknown>> = [
      { ...web, cmd: "node other.js" },
      { ...web, autostart: false },
      { ...web, env: { A: "1" } },
      { ...web, logger: { stdout: "web.log" } },
      { ...web, terminateTimeout: 5 },
      { ...web, watch: ["src"] },
      { ...web, cluster: { instances: 1 } },
      { ...web, dependsOn: ["job"] },
    ];
    const a = config({ processes: [web, job] });
    for (const variant of variants) {
      assert.deepEqual(
        diffConfigs(a, config({ processes: [variant, job] })).changed,
        ["web"],
        JSON.stringify(variant),
      );
    }
    const clustered = config({ processes: [api] });
    const strategies = config({ processes: [{ ...api, cluster: { ...api.cluster, strategy: "ip-hash" } }] });
    assert.deepEqual(diffConfigs(clustered, strategies).changed, ["api"]);
    const checked = config({ processes: [{ ...web, healthcheck: { http: "http://127.0.0.1:8080/" } }] });
    const slower = config({
      processes: [{ ...web, healthcheck: { http: "http://127.0.0.1:8080/", intervalMs: 30_000 } }],
    });
    assert.deepEqual(diffConfigs(checked, slower).changed, ["web"]);
    const spelledOut = config({
      processes: [{ ...web, healthcheck: { http: "http://127.0.0.1:8080/", intervalMs: 10_000 } }],
    });
    assert.deepEqual(diffConfigs(checked, spelledOut).unchanged, ["web"], "a default written out");
  });

  test("validated definitions are compared: a default written out, or keys in another order, is no change", () => {
    const a = config({ processes: [{ ...web, env: { A: "1", B: "2" } }] });
    const b = config({
      processes: [{ env: { B: "2", A: "1" }, restartDelayMs: 10_000, overrun: false, ...web }],
    });
    assert.deepEqual(diffConfigs(a, b).unchanged, ["web"]);
    const c = config({ processes: [api] });
    const d = config({ processes: [{ ...api, cluster: { ...api.cluster, strategy: "round-robin" } }] });
    assert.deepEqual(diffConfigs(c, d).unchanged, ["api"]);
  });

  test("ids match case-insensitively; a new case of an id is a change, reported with the new spelling", () => {
    const a = config({ processes: [{ ...web, id: "Web" }] });
    const b = config({ processes: [web] });
    assert.deepEqual(diffConfigs(a, b), {
      added: [],
      removed: [],
      changed: ["web"],
      unchanged: [],
      notApplied: [],
    });
  });

  test("the API's address needs a restart; its revoked list, the logger, the watcher and the terminate defaults do not", () => {
    const a = config({ processes: [web], api: { port: 8080 } });
    const b = config({
      processes: [web],
      api: { port: 8081, hostname: "0.0.0.0", revoked: ["ci"] },
      logger: { console: false },
      watcher: { interval: 200 },
      terminateTimeout: 5,
      terminateGracePeriod: 1,
      name: "renamed",
    });
    const diff = diffConfigs(a, b);
    assert.deepEqual(diff.notApplied, ["api.hostname", "api.port"]);
    assert.deepEqual(diff.unchanged, ["web"], "a process inheriting the terminate defaults is not recreated");
    assert.deepEqual(liveChanges(a, b), [
      "api.revoked",
      "logger",
      "name",
      "terminateGracePeriod",
      "terminateTimeout",
      "watcher",
    ]);
  });

  test("plugins need a restart", () => {
    const a = config({ processes: [web] });
    const b = config({ processes: [web], plugins: [{ url: "./plugin.js" }] });
    assert.deepEqual(diffConfigs(a, b).notApplied, ["plugins"]);
    assert.deepEqual(liveChanges(a, b), []);
  });

  test("an object that only spells out defaults changes nothing", () => {
    const a = config({ processes: [web] });
    const b = config({
      $schema: "./pup.schema.json",
      processes: [web],
      api: {},
      watcher: { interval: 1000 },
      logger: {},
      terminateTimeout: 30,
    });
    assert.deepEqual(diffConfigs(a, b).notApplied, []);
    assert.deepEqual(liveChanges(a, b), []);
  });
});

describe("sameValue", () => {
  test("a key set to undefined equals a missing key; arrays keep their order", () => {
    assert.equal(sameValue({ a: 1, b: undefined }, { a: 1 }), true);
    assert.equal(sameValue({ a: [1, 2] }, { a: [2, 1] }), false);
    assert.equal(sameValue({ a: { b: [{ c: 1 }] } }, { a: { b: [{ c: 1 }] } }), true);
    assert.equal(sameValue({ a: { b: [{ c: 1 }] } }, { a: { b: [{ c: 2 }] } }), false);
    assert.equal(sameValue([], {}), false);
    assert.equal(sameValue(null, {}), false);
    assert.equal(sameValue(Number.NaN, Number.NaN), true);
  });
});
