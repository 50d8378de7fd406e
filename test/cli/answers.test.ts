import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";

/* One answer per situation: what a control or log command did, or why it did nothing. */

const { dir, cleanup } = tempDir();
let instance: PupProcess;
const file = writeJson(path.join(dir, "pup.json"), {
  processes: [
    { id: "web", cmd: "sleep 1000", autostart: true },
    { id: "job", cmd: "sleep 1000" },
    { id: "pool", cmd: "sleep 1000", autostart: true, cluster: { instances: 2 } },
  ],
});
before(async () => {
  instance = new PupProcess(["run", "--config", file]);
  await instance.waitForOutput("[pool-2:starting]");
});
after(async () => {
  await instance.kill();
  cleanup();
});

async function pup(...args: string[]) {
  const result = await runPup([...args, "--config", file]);
  assert.equal(result.stderr, "", `${args.join(" ")}: ${result.stderr}`);
  assert.equal(result.code, 0);
  return result.stdout;
}

describe("control commands say what happened", () => {
  test("start of a running process: already running, not started", async () => {
    assert.match(await pup("start", "web"), /^web is already running \(pid \d+\)\n$/);
    assert.equal(await pup("start", "pool"), "pool: already running: pool, pool-1, pool-2\n");
  });

  test("stop of a stopped process: not running, not stopped", async () => {
    assert.equal(await pup("stop", "job"), "job is not running (CREATED)\n");
    assert.match(await pup("start", "job"), /^started job: job (STARTING|RUNNING)\n$/);
    assert.equal(await pup("stop", "job"), "stopped job: job FINISHED\n");
    assert.equal(await pup("stop", "job"), "job is not running (FINISHED)\n");
  });

  test("start all names what it started and what was running already", async () => {
    assert.match(
      await pup("start", "all"),
      /^started all: job \w+; already running: web, pool, pool-1, pool-2\n$/,
    );
  });

  test("block and unblock twice", async () => {
    assert.equal(await pup("block", "job"), "blocked job: job RUNNING (blocked)\n");
    assert.equal(await pup("block", "job"), "job is already blocked\n");
    assert.equal(await pup("unblock", "job"), "unblocked job: job RUNNING\n");
    assert.equal(await pup("unblock", "job"), "job is not blocked\n");
  });
});

describe("unknown ids are refused with exit 1", () => {
  test("logs --id and monitor --id of no process", async () => {
    for (const command of ["logs", "monitor"]) {
      const result = await runPup([command, "--id", "nosuch", "--config", file]);
      assert.equal(result.code, 1, `${command}: ${result.stdout}`);
      assert.equal(
        result.stderr,
        'pup: unknown process "nosuch" (not in pup.json, and nothing logged for it)\n'.replace(
          "pup.json",
          file,
        ),
      );
    }
  });

  test("logs --id of a process, a cluster instance, or core works", async () => {
    for (const id of ["web", "pool-1", "core"]) {
      const result = await runPup(["logs", "--id", id, "--config", file]);
      assert.equal(result.code, 0, `${id}: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`\\[${id}:`), id);
    }
  });
});
