import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ProcessState } from "../../src/core/states.ts";
import { SupervisorHarness } from "../helpers/supervisor.ts";
import { tempDir } from "../helpers/tmp.ts";
import { groupMembers, sleep, waitFor } from "../helpers/wait.ts";

/**
 * Faults a supervisor must survive without dying or leaking (issue "Supervision that never dies
 * and never leaks"). Every group a test sees is killed at the end, also when an assertion failed.
 */

const { RUNNING, FINISHED, ERRORED, EXHAUSTED, STOPPING } = ProcessState;
const { dir, cleanup } = tempDir();
const harnesses: SupervisorHarness[] = [];
const groupsSeen = new Set<number>();
after(async () => {
  await Promise.all(harnesses.map((h) => h.terminate()));
  for (const pgid of groupsSeen) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  cleanup();
});

function harness(processes: object[], extra: object = {}): SupervisorHarness {
  const h = new SupervisorHarness({ processes, ...extra } as never, dir);
  h.supervisor.events.on("process_status_changed", ({ status }) => {
    if (status.pid !== undefined && status.type !== "worker") groupsSeen.add(status.pid);
  });
  harnesses.push(h);
  return h;
}

// A leader (sleep) with a group member that ignores SIGTERM and does not hold the output pipe.
const STUBBORN_MEMBER = `sh -c "( trap '' TERM; exec sleep 1000 >/dev/null 2>&1 ) & exec sleep 1000"`;

describe("whole process groups", () => {
  test("stop ends a group member that ignores SIGTERM (SIGKILL at terminateTimeout)", async () => {
    const h = harness([{ id: "g", cmd: STUBBORN_MEMBER, terminateTimeout: 1 }]);
    await h.supervisor.startProcess("g");
    await h.waitRunning("g");
    const pgid = h.status("g").pid!;
    await waitFor(() => groupMembers(pgid).length === 2, "the member to start");
    await h.supervisor.stopProcess("g");
    assert.deepEqual(groupMembers(pgid), [], "nothing of the group survives the stop");
    assert.equal(h.status("g").status, FINISHED);
  });

  test("restarts do not leak one member each", async () => {
    const h = harness([{ id: "r", cmd: STUBBORN_MEMBER, terminateTimeout: 0.5 }]);
    const groups: number[] = [];
    for (let i = 0; i < 3; i++) {
      await h.supervisor.restartProcess("r");
      await h.waitRunning("r");
      groups.push(h.status("r").pid!);
      await waitFor(() => groupMembers(groups.at(-1)!).length === 2, "the member to start");
    }
    for (const pgid of groups.slice(0, -1)) assert.deepEqual(groupMembers(pgid), [], `group ${pgid} is gone`);
    await h.supervisor.stopProcess("r");
    assert.deepEqual(groupMembers(groups.at(-1)!), []);
  });

  test("when the leader exits, what is left of its group is ended before the exit counts", async () => {
    const cmd = `sh -c "( trap '' TERM; exec sleep 1000 >/dev/null 2>&1 ) & sleep 0.2; exit 3"`;
    const h = harness([{ id: "l", cmd, terminateTimeout: 0.5 }]);
    await h.supervisor.startProcess("l");
    await h.waitRunning("l");
    const pgid = h.status("l").pid!;
    await h.waitState("l", ERRORED);
    assert.deepEqual(groupMembers(pgid), [], "the member was killed before the process counted as exited");
    assert.equal(h.status("l").code, 3);
    assert.match(h.logText("l"), /ending what is left of its process group/);
  });

  test("a child that forks 50 grandchildren and exits leaves none of them", async () => {
    const h = harness([{ id: "f", cmd: "sh -c 'for i in $(seq 50); do sleep 1000 & done; echo forked'" }]);
    await h.supervisor.startProcess("f");
    // Its run may last only milliseconds: its group is the pid it had when it was RUNNING.
    await h.waitState("f", FINISHED);
    const pgid = h.changes.find((c) => c.id === "f" && c.new === ProcessState.RUNNING)!.pid!;
    assert.deepEqual(groupMembers(pgid), []);
    assert.deepEqual(h.lines("f"), ["forked"]);
  });
});

describe("processes that cannot start", () => {
  test("a cwd that is a regular file: ERRORED with the reason, from a start and from restarts", async () => {
    const file = path.join(dir, "not-a-folder");
    writeFileSync(file, "x");
    const h = harness([
      { id: "c", cmd: "sleep 1", cwd: file, autostart: true, restartDelayMs: 20, restartLimit: 2 },
    ]);
    await h.waitState("c", EXHAUSTED);
    assert.match(h.logText("c"), /could not start: working directory is not a directory/);
    // The instance carries on.
    await h.supervisor.startProcess("c");
    await waitFor(() => h.status("c").status === ERRORED, "a manual start to fail the same way");
  });

  test("a missing executable, a folder as the command, a missing cwd: each ERRORED, nothing thrown", async () => {
    const h = harness([
      { id: "missing", cmd: "/no/such/program --flag" },
      { id: "folder", cmd: dir },
      { id: "nocwd", cmd: "sleep 1", cwd: path.join(dir, "no", "such") },
    ]);
    for (const id of ["missing", "folder", "nocwd"]) {
      await h.supervisor.startProcess(id);
      await h.waitState(id, ERRORED);
      assert.match(h.logText(id), /could not start: /, id);
    }
    assert.match(h.logText("nocwd"), /working directory does not exist/);
  });

  test("a spawn that throws at once (an argument list too long for exec: E2BIG) is ERRORED; the instance carries on", async () => {
    const h = harness([{ id: "huge", cmd: `echo ${"x".repeat(4 * 1024 * 1024)}` }]);
    await h.supervisor.startProcess("huge");
    await h.waitState("huge", ERRORED);
    assert.match(h.logText("huge"), /could not start: E2BIG: cannot run echo: spawn E2BIG/);
    await h.supervisor.startProcess("huge");
    await h.waitState("huge", ERRORED);
  });

  test("a pidFile that is a folder is reported, and the process runs and stops normally", async () => {
    const pidDir = path.join(dir, "pid-is-a-folder");
    mkdirSync(pidDir);
    const h = harness([{ id: "p", cmd: "sleep 1000", pidFile: pidDir }]);
    await h.supervisor.startProcess("p");
    await h.waitRunning("p");
    await h.supervisor.stopProcess("p");
    assert.equal(h.status("p").status, FINISHED);
    assert.match(h.logText("p"), /cannot write pidFile/);
    assert.match(h.logText("p"), /cannot remove pidFile/);
  });
});

describe("the last command wins", () => {
  // Exits 300 ms after SIGTERM: long enough for a command to arrive while it is stopping.
  const SLOW_STOP = `sh -c 'trap "sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done'`;

  test("a stop that arrives while a restart is stopping the process is final", async () => {
    const h = harness([{ id: "s", cmd: SLOW_STOP }]);
    await h.supervisor.startProcess("s");
    await h.waitRunning("s");
    const restarted = h.supervisor.restartProcess("s");
    await waitFor(() => h.status("s").status === STOPPING, "the restart to be stopping");
    await h.supervisor.stopProcess("s");
    assert.deepEqual(await restarted, [{ started: false, why: "stopped" }]);
    await sleep(300);
    assert.equal(h.status("s").status, FINISHED, "the restart did not start it again");
    assert.equal(h.count("s", RUNNING), 1);
  });

  test("a start that arrives while a stop is under way starts once the stop is over", async () => {
    const h = harness([{ id: "t", cmd: SLOW_STOP }]);
    await h.supervisor.startProcess("t");
    await h.waitRunning("t");
    const first = h.status("t").pid!;
    const stopped = h.supervisor.stopProcess("t");
    await waitFor(() => h.status("t").status === STOPPING, "stopping");
    await h.supervisor.startProcess("t");
    await stopped;
    await h.waitRunning("t");
    assert.notEqual(h.status("t").pid, first);
  });

  test("with overrun, a cron start during STOPPING adds no run that the stop would miss", async () => {
    // Ignores SIGTERM for 1.5 s while the cron fires every second.
    const cmd = `sh -c 'trap "sleep 1.5; exit 0" TERM; while :; do sleep 0.05; done'`;
    const h = harness([{ id: "o", cmd, cron: "* * * * * *", overrun: true, terminateTimeout: 5 }]);
    const mine = new Set<number>();
    h.supervisor.events.on("process_status_changed", ({ status }) => {
      if (status.pid !== undefined) mine.add(status.pid);
    });
    await h.waitRunning("o");
    await h.supervisor.stopProcess("o");
    assert.equal(h.status("o").status, FINISHED);
    h.supervisor.blockProcess("o"); // the next tick would start it again, as it should
    for (const pgid of mine) assert.deepEqual(groupMembers(pgid), [], `group ${pgid} is gone`);
  });
});

describe("long durations", () => {
  test("a 30-day timeout does not stop the process at once", async () => {
    const h = harness([{ id: "long", cmd: "sleep 1000", timeout: 30 * 24 * 3600 }]);
    await h.supervisor.startProcess("long");
    await h.waitRunning("long");
    await sleep(300);
    assert.equal(h.status("long").status, RUNNING);
  });

  test("a 30-day terminateTimeout sends SIGTERM, not an instant SIGKILL", async () => {
    const cmd = `sh -c 'trap "sleep 0.2; exit 0" TERM; while :; do sleep 0.05; done'`;
    const h = harness([{ id: "term", cmd, terminateTimeout: 30 * 24 * 3600 }]);
    await h.supervisor.startProcess("term");
    await h.waitRunning("term");
    await h.supervisor.stopProcess("term");
    assert.equal(h.status("term").signal, undefined, "not killed");
    assert.equal(h.status("term").code, 0, "it finished its SIGTERM handler");
  });
});
