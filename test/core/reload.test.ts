import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { UnknownProcessError } from "../../src/common/errors.ts";
import { validateConfig } from "../../src/config/load.ts";
import { ProcessState } from "../../src/core/states.ts";
import { freePorts } from "../helpers/ports.ts";
import { SupervisorHarness } from "../helpers/supervisor.ts";
import { tempDir } from "../helpers/tmp.ts";
import { alive, sleep, waitFor } from "../helpers/wait.ts";

/** The core side of live reload (SPEC §8.6): a difference applied without touching the rest. */

const { RUNNING, FINISHED } = ProcessState;
const { dir, cleanup } = tempDir();
const harnesses: SupervisorHarness[] = [];
after(async () => {
  await Promise.all(harnesses.map((h) => h.terminate()));
  cleanup();
});

describe("applying a reloaded configuration", () => {
  test("added, removed and changed processes; an unchanged one keeps its pid", async () => {
    const before = [
      { id: "keep", cmd: "sleep 1000", autostart: true },
      { id: "drop", cmd: "sleep 1001", autostart: true },
      { id: "edit", cmd: "sleep 1002", autostart: true },
      { id: "manual", cmd: "sleep 1003" },
    ];
    const h = new SupervisorHarness({ processes: before } as never, dir);
    harnesses.push(h);
    await h.supervisor.startProcess("manual");
    for (const id of ["keep", "drop", "edit", "manual"]) await h.waitRunning(id);
    const pids = Object.fromEntries(["keep", "drop", "edit", "manual"].map((id) => [id, h.status(id).pid!]));

    const next = validateConfig(
      {
        processes: [
          { id: "keep", cmd: "sleep 1000", autostart: true },
          { id: "edit", cmd: "sleep 1012", autostart: true },
          { id: "manual", cmd: "sleep 1013" },
          { id: "new", cmd: "sleep 1014", autostart: true },
          { id: "idle", cmd: "sleep 1015" },
        ],
      },
      "test",
    );
    await h.supervisor.applyConfig({
      config: next,
      added: ["new", "idle"],
      removed: ["drop"],
      changed: ["edit", "manual"],
    });

    assert.equal(h.status("keep").pid, pids.keep, "unchanged: same pid");
    assert.throws(() => h.supervisor.get("drop"), UnknownProcessError);
    assert.ok(!alive(pids.drop), "removed: stopped");
    await h.waitRunning("edit");
    assert.notEqual(h.status("edit").pid, pids.edit);
    assert.equal(h.supervisor.get("edit").config.cmd, "sleep 1012");
    await h.waitRunning("manual");
    assert.notEqual(h.status("manual").pid, pids.manual, "a changed process that was running runs again");
    await h.waitRunning("new");
    await sleep(200);
    assert.equal(
      h.status("idle").status,
      ProcessState.CREATED,
      "an added process without a start policy waits",
    );
    assert.deepEqual(
      h.supervisor.list().map((e) => e.status.id),
      ["keep", "edit", "manual", "new", "idle"],
      "listed in the new file's order",
    );
  });

  test("a changed process that was stopped stays stopped unless it autostarts; cron of a removed one is disarmed", async () => {
    const h = new SupervisorHarness(
      {
        processes: [
          { id: "off", cmd: "sleep 1000" },
          { id: "ticker", cmd: "echo tick", cron: "* * * * * *" },
        ],
      } as never,
      dir,
    );
    harnesses.push(h);
    const next = validateConfig({ processes: [{ id: "off", cmd: "sleep 1001" }] }, "test");
    await h.supervisor.applyConfig({ config: next, added: [], removed: ["ticker"], changed: ["off"] });
    const ticks = h.lines("ticker").length;
    await sleep(1300);
    assert.equal(h.lines("ticker").length, ticks, "the removed schedule does not fire");
    assert.equal(h.status("off").status, ProcessState.CREATED);
    await h.supervisor.startProcess("off");
    await waitFor(() => h.status("off").status === RUNNING, "off to start");
    await h.supervisor.stopProcess("off");
    assert.equal(h.status("off").status, FINISHED);
  });
});

describe("live global defaults", () => {
  test("a new global terminateTimeout reaches an unchanged process that has none of its own", async () => {
    // Ignores SIGTERM: the stop takes terminateTimeout.
    const cmd = `sh -c 'trap "" TERM; while :; do sleep 0.05; done'`;
    const h = new SupervisorHarness(
      { terminateTimeout: 60, processes: [{ id: "t", cmd, autostart: true }] } as never,
      dir,
    );
    harnesses.push(h);
    await h.waitRunning("t");
    const pid = h.status("t").pid;
    const next = validateConfig(
      { terminateTimeout: 0.3, processes: [{ id: "t", cmd, autostart: true }] },
      "test",
    );
    await h.supervisor.applyConfig({ config: next, added: [], removed: [], changed: [] });
    assert.equal(h.status("t").pid, pid, "not recreated");
    const began = performance.now();
    await h.supervisor.stopProcess("t");
    assert.ok(performance.now() - began < 10_000, "killed after the new 0.3 s, not the old 60 s");
    assert.equal(h.status("t").signal, "SIGKILL");
  });
});

describe("a reload that replaces a cluster one instance at a time", () => {
  // Each instance listens on its PUP_CLUSTER_PORT after 600 ms, so a roll of three takes seconds.
  const server = `node -e "setTimeout(() => require('net').createServer().listen(+process.env.PUP_CLUSTER_PORT, '127.0.0.1'), 600)"`;
  const ids = ["web-1", "web-2", "web-3"];

  async function rollingCluster() {
    const base = await freePorts(4);
    const config = (release: string) => ({
      processes: [
        {
          id: "web",
          cmd: server,
          autostart: true,
          env: { RELEASE: release },
          terminateTimeout: 1,
          cluster: { instances: 3, startPort: base + 1, commonPort: base },
        },
      ],
    });
    const h = new SupervisorHarness(config("1") as never, dir);
    harnesses.push(h);
    // A balancer stand-in: the core drains and restores; nothing to wait for.
    h.supervisor.setRotation("web", { drain: async () => {}, restore: () => {} });
    for (const id of ids) await h.waitRunning(id);
    const oldPids = ids.map((id) => h.status(id).pid!);
    const roll = h.supervisor.applyConfig({
      config: validateConfig(config("2"), "test"),
      added: [],
      removed: [],
      changed: ["web"],
    });
    return { h, oldPids, roll };
  }

  test("the instances not yet replaced are listed as they run, and terminate stops them", async () => {
    const { h, oldPids, roll } = await rollingCluster();
    await waitFor(() => h.status("web-1").pid !== oldPids[0], "web-1 to be replaced");
    assert.equal(h.status("web-3").pid, oldPids[2], "web-3 is still the old instance");
    assert.equal(h.status("web-3").status, RUNNING);
    await h.supervisor.terminate();
    await roll;
    for (const [n, pid] of oldPids.entries()) assert.ok(!alive(pid), `old ${ids[n]} stopped`);
    for (const id of ids) {
      const { pid } = h.status(id);
      assert.ok(pid === undefined || !alive(pid), `${id} stopped`);
    }
  });

  test("an instance stopped during the roll stays stopped", async () => {
    const { h, oldPids, roll } = await rollingCluster();
    await h.supervisor.stopProcess("web-3");
    assert.ok(!alive(oldPids[2]), "the running web-3 was stopped");
    await roll;
    await sleep(200);
    assert.notEqual(h.status("web-3").status, RUNNING, "not started again by the roll");
    assert.equal(h.status("web-2").status, RUNNING);
    assert.notEqual(h.status("web-2").pid, oldPids[1], "the others were replaced");
  });

  test("an instance waiting to restart when the roll reaches it is replaced by a running one", async () => {
    const base = await freePorts(4);
    // Release 1 of web-3 exits at once, and restarts only after a minute.
    const cmd = `node -e "const p = +process.env.PUP_CLUSTER_PORT; if (process.env.RELEASE === '1' && p === ${base + 3}) process.exit(1); require('net').createServer().listen(p, '127.0.0.1')"`;
    const config = (release: string) => ({
      processes: [
        {
          id: "web",
          cmd,
          autostart: true,
          env: { RELEASE: release },
          restartDelayMs: 60_000,
          terminateTimeout: 1,
          cluster: { instances: 3, startPort: base + 1, commonPort: base },
        },
      ],
    });
    const h = new SupervisorHarness(config("1") as never, dir);
    harnesses.push(h);
    h.supervisor.setRotation("web", { drain: async () => {}, restore: () => {} });
    for (const id of ["web-1", "web-2"]) await h.waitRunning(id);
    await waitFor(() => h.status("web-3").nextRestart !== undefined, "web-3 to wait for its restart");
    await h.supervisor.applyConfig({
      config: validateConfig(config("2"), "test"),
      added: [],
      removed: [],
      changed: ["web"],
    });
    for (const id of ids) assert.equal(h.status(id).status, RUNNING, id);
    assert.equal(h.status("web-3").nextRestart, undefined);
  });
});
