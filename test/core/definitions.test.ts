import assert from "node:assert/strict";
import { test } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import { childDefinitions, childEnvironment } from "../../src/core/definitions.ts";

function children(process: object) {
  const config = validateConfig({ processes: [process] }, "pup.json");
  return childDefinitions(config.processes[0], config, "/srv/app");
}

test("cluster instances get PORT = PUP_CLUSTER_PORT, over an inherited PORT (SPEC §2.3)", () => {
  const defs = children({ id: "web", cmd: "node server.js", cluster: { instances: 3, startPort: 4000 } });
  const envs = defs.map((def) => childEnvironment(def, { PORT: "80", HOME: "/root" }, {}));
  assert.deepEqual(
    envs.map((e) => [e.PUP_CLUSTER_PORT, e.PORT]),
    [
      ["4000", "4000"],
      ["4001", "4001"],
      ["4002", "4002"],
    ],
  );
});

test("a PORT in the process's env wins; without startPort no PORT is invented", () => {
  const own = children({
    id: "web",
    cmd: "node server.js",
    env: { PORT: "9999" },
    cluster: { instances: 2, startPort: 4000 },
  });
  assert.deepEqual(
    own.map((def) => childEnvironment(def, {}, {})).map((e) => [e.PUP_CLUSTER_PORT, e.PORT]),
    [
      ["4000", "9999"],
      ["4001", "9999"],
    ],
  );
  const portless = children({ id: "job", cmd: "true", cluster: { instances: 2 } });
  for (const def of portless) {
    const env = childEnvironment(def, {}, {});
    assert.equal(env.PORT, undefined);
    assert.equal(env.PUP_CLUSTER_PORT, undefined);
  }
});
