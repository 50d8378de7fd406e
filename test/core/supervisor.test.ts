import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { BlockedError, UnknownProcessError } from "../../src/common/errors.ts";
import { ProcessState } from "../../src/core/states.ts";
import { LINE_CONTINUES } from "../../src/logs/stored-text.ts";
import { MAX_LINE_BYTES } from "../../src/runner/line-splitter.ts";
import { SupervisorHarness } from "../helpers/supervisor.ts";
import { tempDir } from "../helpers/tmp.ts";
import { alive, groupMembers, sleep, waitFor } from "../helpers/wait.ts";

const { RUNNING, FINISHED, ERRORED, EXHAUSTED, STARTING } = ProcessState;
const { dir, cleanup } = tempDir();
const harnesses: SupervisorHarness[] = [];
after(async () => {
  await Promise.all(harnesses.map((h) => h.terminate()));
  cleanup();
});
function harness(processes: object[], extra: object = {}): SupervisorHarness {
  const h = new SupervisorHarness({ processes, ...extra } as never, dir);
  harnesses.push(h);
  return h;
}

describe("restart policies", () => {
  test("with restartDelayMs 0 the restart follows the exit within 100 ms (event-driven, no polling)", async () => {
    const h = harness([
      { id: "crash", cmd: "sh -c 'exit 1'", autostart: true, restartDelayMs: 0, restartLimit: 5 },
    ]);
    await h.waitState("crash", EXHAUSTED);
    const changes = h.changes.filter((c) => c.id === "crash");
    const gaps: number[] = [];
    for (let i = 0; i < changes.length; i++) {
      if (changes[i].new === ERRORED) {
        const next = changes.slice(i).find((c) => c.new === STARTING);
        if (next) gaps.push(next.at - changes[i].at);
      }
    }
    assert.equal(gaps.length, 5, "five automatic restarts");
    for (const gap of gaps) assert.ok(gap < 100, `restart gap ${gap.toFixed(1)} ms`);
  });

  test("a stop that cancels a pending restart is reported and moves the revision", async () => {
    const h = harness([{ id: "later", cmd: "sh -c 'exit 1'", autostart: true, restartDelayMs: 60_000 }]);
    await waitFor(() => h.status("later").pendingRestartReason === "restart", "a pending restart");
    const revision = h.supervisor.revision;
    const reported = h.changes.length;
    await h.supervisor.stopProcess("later");
    assert.equal(h.status("later").pendingRestartReason, undefined);
    assert.ok(h.supervisor.revision > revision, "the revision moved");
    assert.ok(h.changes.length > reported, "a status change was reported");
  });

  test("restartLimit 2 ends EXHAUSTED after exactly 2 restarts, and a manual start resets the count", async () => {
    const h = harness([
      { id: "limited", cmd: "sh -c 'echo run; exit 3'", autostart: true, restartDelayMs: 0, restartLimit: 2 },
    ]);
    await h.waitState("limited", EXHAUSTED);
    await sleep(200);
    assert.equal(h.count("limited", STARTING), 3, "one start and two restarts");
    const status = h.status("limited");
    assert.equal(status.restarts, 2);
    assert.equal(status.code, 3);
    assert.equal(h.lines("limited").length, 3);
    h.supervisor.startProcess("limited");
    await waitFor(() => h.count("limited", EXHAUSTED) === 2, "exhausted again after a manual start");
    assert.equal(h.count("limited", STARTING), 6);
  });

  test('restart "error" restarts after a failure but not after a clean exit', async () => {
    const h = harness([
      { id: "clean", cmd: "true", autostart: true, restart: "error", restartDelayMs: 0 },
      { id: "dirty", cmd: "false", autostart: true, restart: "error", restartDelayMs: 0, restartLimit: 1 },
    ]);
    await h.waitState("dirty", EXHAUSTED);
    await h.waitState("clean", FINISHED);
    await sleep(100);
    assert.equal(h.count("clean", STARTING), 1);
    assert.equal(h.count("dirty", STARTING), 2);
  });

  test("no restart policy: a process started by hand runs once", async () => {
    const h = harness([{ id: "once", cmd: "sh -c 'exit 4'" }]);
    assert.equal(h.status("once").status, ProcessState.CREATED);
    h.supervisor.startProcess("once");
    await h.waitState("once", ERRORED);
    await sleep(100);
    assert.equal(h.count("once", STARTING), 1);
    assert.equal(h.status("once").code, 4);
  });

  test("a manually stopped process stays stopped; its policy applies again after the next start", async () => {
    const h = harness([{ id: "svc", cmd: "sleep 1000", autostart: true, restartDelayMs: 0 }]);
    await h.waitRunning("svc");
    const pid = h.status("svc").pid!;
    await h.supervisor.stopProcess("svc");
    assert.equal(h.status("svc").status, FINISHED);
    assert.ok(!alive(pid));
    await sleep(300);
    assert.equal(h.count("svc", STARTING), 1, "not restarted");
    h.supervisor.startProcess("svc");
    await h.waitRunning("svc");
    process.kill(h.status("svc").pid!, "SIGKILL");
    await waitFor(() => h.count("svc", RUNNING) === 3, "restarted after a crash");
  });
});

describe("stopping", () => {
  test("signals go to the whole process group: grandchildren stop too", async () => {
    const h = harness([{ id: "tree", cmd: "sh -c 'sleep 1000 & sleep 1000 & wait'", autostart: true }]);
    await h.waitRunning("tree");
    const pid = h.status("tree").pid!;
    const members = await waitFor(
      () => (groupMembers(pid).length >= 3 ? groupMembers(pid) : undefined),
      "the shell's children",
    );
    await h.supervisor.stopProcess("tree");
    for (const member of members) assert.ok(!alive(member), `process ${member} of the group survived`);
    assert.equal(h.status("tree").status, FINISHED);
  });

  test("a process that ignores SIGTERM is killed after terminateTimeout", async () => {
    const h = harness([
      {
        id: "stubborn",
        cmd: "sh -c 'trap \"\" TERM; sleep 1000 & wait'",
        autostart: true,
        terminateTimeout: 1,
      },
    ]);
    await h.waitRunning("stubborn");
    const pid = h.status("stubborn").pid!;
    await waitFor(() => groupMembers(pid).length >= 2, "the sleep");
    const members = groupMembers(pid);
    const t0 = performance.now();
    await h.supervisor.stopProcess("stubborn");
    const took = performance.now() - t0;
    assert.ok(took >= 950 && took < 4000, `stop took ${took} ms`);
    for (const member of members) assert.ok(!alive(member));
    assert.match(h.logText("stubborn"), /SIGKILL/);
  });

  test("terminateGracePeriod lets the process finish by itself before any signal", async () => {
    const h = harness([{ id: "graceful", cmd: "sleep 0.4", autostart: true, terminateGracePeriod: 3 }]);
    await h.waitRunning("graceful");
    const t0 = performance.now();
    await h.supervisor.stopProcess("graceful");
    const took = performance.now() - t0;
    assert.ok(took < 2000, `stop took ${took} ms`);
    assert.doesNotMatch(h.logText("graceful"), /SIGTERM/);
    assert.equal(h.status("graceful").code, 0);
  });

  test("timeout stops a process that has run too long", async () => {
    const h = harness([{ id: "slow", cmd: "sleep 1000", autostart: true, timeout: 1, restart: "error" }]);
    await h.waitRunning("slow");
    await h.waitState("slow", FINISHED, 5000);
    assert.match(h.logText("slow"), /timeout/);
  });

  test("stop of a process that is not running is a no-op", async () => {
    const h = harness([{ id: "idle", cmd: "sleep 1" }]);
    await h.supervisor.stopProcess("idle");
    assert.equal(h.status("idle").status, ProcessState.CREATED);
  });
});

describe("block, unblock, restart", () => {
  test("block refuses every start; unblock does not start", async () => {
    const h = harness([{ id: "b", cmd: "sh -c 'exit 1'", autostart: true, restartDelayMs: 200 }]);
    await h.waitState("b", ERRORED);
    h.supervisor.blockProcess("b");
    assert.equal(h.status("b").blocked, true);
    await assert.rejects(h.supervisor.startProcess("b"), BlockedError);
    await assert.rejects(h.supervisor.restartProcess("b"), BlockedError);
    await sleep(400);
    assert.equal(h.count("b", STARTING), 1, "the pending automatic restart was cancelled");
    h.supervisor.unblockProcess("b");
    await sleep(300);
    assert.equal(h.count("b", STARTING), 1);
    assert.equal(h.status("b").blocked, false);
  });

  test("restart stops and starts; it also starts a process that was not running", async () => {
    const h = harness([{ id: "r", cmd: "sleep 1000" }]);
    await h.supervisor.restartProcess("r");
    await h.waitRunning("r");
    const first = h.status("r").pid!;
    await h.supervisor.restartProcess("r");
    await h.waitRunning("r");
    assert.notEqual(h.status("r").pid, first);
    assert.ok(!alive(first));
    assert.equal(h.status("r").restarts, 0);
  });

  test("unknown ids are refused", async () => {
    const h = harness([{ id: "x", cmd: "sleep 1" }]);
    assert.throws(() => h.supervisor.get("nope"), UnknownProcessError);
    await assert.rejects(h.supervisor.startProcess("nope"), UnknownProcessError);
    assert.equal(h.supervisor.get("X").status.id, "x", "ids are case-insensitive");
  });
});

describe("start triggers", () => {
  test("cron starts the process on schedule; without overrun a running process is not started twice", async () => {
    const h = harness([
      { id: "tick", cmd: "echo tick", cron: "* * * * * *" },
      { id: "long", cmd: "sleep 2.5", cron: "* * * * * *" },
    ]);
    await waitFor(() => h.lines("tick").length >= 2, "two ticks", 5000);
    await sleep(1200);
    const overlaps = h.changes.filter((c) => c.id === "long" && c.new === STARTING).length;
    assert.ok(overlaps <= 2, `long started ${overlaps} times in about 3 s`);
    assert.match(h.logText("long"), /skipped/);
  });

  test("overrun allows a new cron start while the previous run is running", async () => {
    const h = harness([
      { id: "over", cmd: "sh -c 'echo begin; sleep 2'", cron: "* * * * * *", overrun: true },
    ]);
    await waitFor(() => h.lines("over").length >= 3, "three overlapping runs", 6000);
  });

  test("a changed file restarts a watched process", async () => {
    const { dir: watched, cleanup: rm } = tempDir();
    after(rm);
    const h = harness([{ id: "w", cmd: "sleep 1000", watch: [watched] }], { watcher: { interval: 100 } });
    h.supervisor.startProcess("w");
    await h.waitRunning("w");
    const first = h.status("w").pid;
    await sleep(300);
    writeFileSync(path.join(watched, "ignored.txt"), "not a watched extension");
    await sleep(500);
    assert.equal(h.status("w").pid, first, "a .txt change is ignored");
    writeFileSync(path.join(watched, "app.js"), "changed");
    await waitFor(
      () => h.status("w").pid !== first && h.status("w").status === RUNNING,
      "a restart after the change",
      8000,
    );
    assert.match(h.logText("w"), /app\.js changed/);
  });

  test("a terminate schedule with restart always is a scheduled restart", async () => {
    const h = harness([
      { id: "nightly", cmd: "sleep 1000", autostart: true, terminate: "* * * * * *", restartDelayMs: 0 },
    ]);
    await waitFor(() => h.count("nightly", RUNNING) >= 2, "a scheduled restart", 5000);
    assert.equal(h.status("nightly").restarts, 0, "planned restarts do not count against restartLimit");
  });
});

describe("children", () => {
  test("environment, cwd, PATH and pidFile", async () => {
    const { dir: work, cleanup: rm } = tempDir();
    after(rm);
    const pidFile = path.join(dir, "env.pid");
    const h = harness([
      {
        id: "env",
        cmd: `sh -c 'echo "$PUP_PROCESS_ID|$GREETING|$PWD|$PATH|$PUP_DATA_STORAGE"; sleep 1000'`,
        cwd: work,
        env: { GREETING: "hi", PATH: "/opt/extra-env" },
        path: "/opt/extra-path",
        pidFile,
        autostart: true,
      },
    ]);
    await h.waitRunning("env");
    const [line] = await waitFor(() => (h.lines("env").length ? h.lines("env") : undefined), "the echo");
    const [id, greeting, cwd, PATH, data] = line.split("|");
    assert.equal(id, "env");
    assert.equal(greeting, "hi");
    assert.equal(cwd, work);
    assert.ok(PATH.startsWith(process.env.PATH!), "the inherited PATH comes first");
    assert.ok(PATH.endsWith(":/opt/extra-env:/opt/extra-path"), PATH);
    assert.equal(data, dir);
    assert.equal(readFileSync(pidFile, "utf8").trim(), String(h.status("env").pid));
    await h.supervisor.stopProcess("env");
    assert.ok(!existsSync(pidFile), "pidFile removed on exit");
  });

  test("a command that does not exist is ERRORED with the reason logged; others keep running", async () => {
    const h = harness([
      { id: "missing", cmd: "definitely-not-a-command-9f3", autostart: true, restartLimit: 0 },
      { id: "fine", cmd: "sleep 1000", autostart: true },
    ]);
    await waitFor(() => h.status("missing").status >= ERRORED, "the failure");
    assert.match(h.logText("missing"), /ENOENT/);
    await h.waitRunning("fine");
  });

  test("an unwritable pidFile is logged and the process still runs", async () => {
    const h = harness([
      { id: "nopid", cmd: "sleep 1000", autostart: true, pidFile: "/proc/not-writable/x.pid" },
    ]);
    await h.waitRunning("nopid");
    await waitFor(() => /cannot write pidFile/.test(h.logText("nopid")), "the warning");
    assert.equal(h.status("nopid").status, RUNNING);
  });

  test("output lines stay intact across odd write patterns", async () => {
    const script = path.join(dir, "writer.cjs");
    writeFileSync(
      script,
      `const big = "x".repeat(1024 * 1024);
       const out = (s) => new Promise((r) => process.stdout.write(s, r));
       (async () => {
         await out("par"); await new Promise((r) => setTimeout(r, 30)); await out("tial\\r\\n");
         await out(big + "\\n");
         let burst = ""; for (let i = 0; i < 20000; i++) burst += "line " + i + "\\n";
         await out(burst);
         process.stderr.write("to stderr\\n");
         await out("no newline at the end");
       })();`,
    );
    const h = harness([{ id: "odd", cmd: `node ${script}`, autostart: true, restart: "error" }]);
    await h.waitState("odd", FINISHED);
    const lines = h.lines("odd");
    assert.equal(lines[0], "partial");
    // A line over 64 KiB comes in marked pieces (runner/line-splitter.ts), nothing lost.
    const pieces = Math.ceil((1024 * 1024) / MAX_LINE_BYTES);
    const big = lines.slice(1, 1 + pieces);
    assert.ok(
      big.slice(0, -1).every((l) => l.endsWith(LINE_CONTINUES)),
      "every piece but the last is marked",
    );
    assert.equal(big.map((l) => l.replace(LINE_CONTINUES, "")).join(""), "x".repeat(1024 * 1024));
    for (let i = 0; i < 20000; i++) assert.equal(lines[1 + pieces + i], `line ${i}`);
    assert.equal(lines[20001 + pieces], "no newline at the end");
    assert.equal(lines.length, 20002 + pieces);
    assert.deepEqual(h.lines("odd", "stderr"), ["to stderr"]);
    assert.ok(h.entries.filter((e) => e.category === "stderr").every((e) => e.severity === "error"));
  });

  test("a worker runs as a thread of the instance", async () => {
    const script = path.join(dir, "worker.mjs");
    writeFileSync(
      script,
      `import { argv } from "node:process"; console.log("worker", argv.slice(2).join(","), process.env.PUP_PROCESS_ID);`,
    );
    const h = harness([{ id: "wk", worker: [script, "a", "b"], autostart: true, restart: "error" }]);
    await h.waitState("wk", FINISHED);
    assert.deepEqual(h.lines("wk"), ["worker a,b wk"]);
    assert.equal(h.status("wk").type, "worker");
  });

  test("a cluster runs its instances with their own ids, index and port", async () => {
    const h = harness([
      {
        id: "c",
        cmd: `sh -c 'echo "$PUP_CLUSTER_INSTANCE:$PUP_CLUSTER_PORT"; sleep 1000'`,
        autostart: true,
        cluster: { instances: 2, startPort: 7100 },
      },
    ]);
    await h.waitRunning("c-1");
    await h.waitRunning("c-2");
    await waitFor(() => h.lines("c-2").length > 0, "output");
    assert.deepEqual(h.lines("c-1"), ["0:7100"]);
    assert.deepEqual(h.lines("c-2"), ["1:7101"]);
    const list = h.supervisor.list().map((e) => `${e.status.id}:${e.status.type}`);
    assert.deepEqual(list, ["c:cluster", "c-1:process", "c-2:process"]);
    assert.equal(h.status("c").status, RUNNING);
    await h.supervisor.stopProcess("c-1");
    assert.equal(h.status("c").status, ProcessState.MIXED);
    await h.supervisor.stopProcess("c");
    assert.equal(h.status("c").status, FINISHED);
  });
});

describe("workers and resources", () => {
  test("a TypeScript worker runs through tsx", async () => {
    const script = path.join(dir, "typed-worker.ts");
    writeFileSync(script, `const n: number = 21; console.log("typed", n * 2);`);
    const h = harness([{ id: "tsw", worker: [script], autostart: true, restart: "error" }]);
    await h.waitState("tsw", FINISHED);
    assert.deepEqual(h.lines("tsw"), ["typed 42"]);
  });

  test("CPU and memory are sampled for the process and its descendants", async () => {
    const h = harness([
      {
        id: "busy",
        cmd: 'sh -c \'node -e "for(;;){}" & node -e "setInterval(()=>{},1000)" & wait\'',
        autostart: true,
      },
    ]);
    await h.waitRunning("busy");
    await sleep(300);
    h.supervisor.sampleUsage();
    await sleep(700);
    h.supervisor.sampleUsage();
    const status = h.status("busy");
    // A spinning child is near 100% on a quiet machine; the bar is low so that a loaded CI
    // machine (other test files spinning too) still passes, yet an idle reading (0) fails.
    assert.ok((status.cpu ?? 0) > 5, `cpu ${status.cpu}`);
    assert.ok((status.rss ?? 0) > 40 * 1024 * 1024, `rss ${status.rss} covers two node processes`);
    await h.supervisor.stopProcess("busy");
    assert.equal(h.status("busy").cpu, undefined, "no usage once stopped");
  });

  test("usage is sampled when asked, at most once per interval, and the first sample covers the lifetime", async () => {
    const h = new SupervisorHarness(
      { processes: [{ id: "spin", cmd: 'node -e "for(;;){}"', autostart: true }] } as never,
      dir,
      400,
    );
    harnesses.push(h);
    // Not h.waitRunning: looking would take the first sample.
    await waitFor(() => h.count("spin", RUNNING) > 0, "spin to run");
    await sleep(500);
    const before = h.supervisor.revision;
    const first = h.status("spin");
    assert.ok((first.cpu ?? 0) > 5, `first look: cpu ${first.cpu} over the process's lifetime`);
    assert.ok((first.rss ?? 0) > 10 * 1024 * 1024, `rss ${first.rss}`);
    assert.ok(h.supervisor.revision > before, "a sample moves the revision");
    const sampled = h.supervisor.revision;
    h.supervisor.list();
    assert.equal(h.supervisor.revision, sampled, "no second sample within the interval");
    await sleep(450);
    h.supervisor.list();
    assert.ok(h.supervisor.revision > sampled, "sampled again after the interval");
    await h.supervisor.stopProcess("spin");
  });
});
