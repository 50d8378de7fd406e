import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { RollingRestartError } from "../../src/core/rolling.ts";
import { ProcessState } from "../../src/core/states.ts";
import { freePorts } from "../helpers/ports.ts";
import { SupervisorHarness } from "../helpers/supervisor.ts";
import { tempDir } from "../helpers/tmp.ts";

/** Rolling restart of a cluster in the core (SPEC §8.5): one instance at a time, each back first. */

const { RUNNING, STARTING } = ProcessState;
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "health-server.js");
const { dir, cleanup } = tempDir();
const harnesses: SupervisorHarness[] = [];
after(async () => {
  await Promise.all(harnesses.map((h) => h.terminate()));
  cleanup();
});

async function cluster(name: string, extra: object = {}) {
  const cwd = path.join(dir, name);
  mkdirSync(cwd);
  const startPort = await freePorts(3);
  const h = new SupervisorHarness(
    {
      processes: [
        {
          id: "web",
          cmd: `node ${SERVER}`,
          cwd,
          autostart: true,
          cluster: { instances: 3, startPort },
          ...extra,
        },
      ],
    } as never,
    dir,
  );
  harnesses.push(h);
  for (const id of ["web-1", "web-2", "web-3"]) await h.waitRunning(id);
  return { h, cwd };
}

describe("rolling restart", () => {
  test("one instance at a time: the next starts only once the previous accepts connections", async () => {
    const { h } = await cluster("roll");
    const before = ["web-1", "web-2", "web-3"].map((id) => h.status(id).pid);
    const results = await h.supervisor.restartProcess("web");
    assert.deepEqual(results, [{ started: true }, { started: true }, { started: true }]);
    const after = ["web-1", "web-2", "web-3"].map((id) => h.status(id).pid);
    for (const [i, pid] of after.entries()) assert.notEqual(pid, before[i], `web-${i + 1} has a new pid`);
    const at = (id: string, state: number) =>
      h.changes.filter((c) => c.id === id && c.new === state && c.old !== state).at(-1)!.at;
    assert.ok(at("web-2", STARTING) > at("web-1", RUNNING), "web-2 began after web-1 was back");
    assert.ok(at("web-3", STARTING) > at("web-2", RUNNING), "web-3 began after web-2 was back");
    assert.match(h.logText("web"), /rolling restart: web-2 \(2\/3\)/);
  });

  test("an instance that does not come back stops the roll with the reason; the rest keep running", async () => {
    const { h, cwd } = await cluster("broken", { restartDelayMs: 60_000 });
    const third = h.status("web-3").pid;
    writeFileSync(path.join(cwd, "broken-1"), "");
    await assert.rejects(h.supervisor.restartProcess("web"), (err: unknown) => {
      assert.ok(err instanceof RollingRestartError);
      assert.equal(err.status, 409);
      assert.match(err.message, /^rolling restart stopped at web-2: it is ERRORED after its restart$/);
      return true;
    });
    assert.equal(h.status("web-1").status, RUNNING);
    assert.equal(h.status("web-3").pid, third, "web-3 was not touched");
    assert.match(h.logText("web"), /rolling restart stopped at web-2/);
  });
});
