import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ProcessState } from "../../src/core/states.ts";
import { freePorts } from "../helpers/ports.ts";
import { SupervisorHarness } from "../helpers/supervisor.ts";
import { tempDir } from "../helpers/tmp.ts";
import { alive, sleep, waitFor } from "../helpers/wait.ts";

/** SPEC §8.1–8.4 with real servers and scripts: health checks, backoff, memory limits, start order. */

const { RUNNING, ERRORED, STARTING } = ProcessState;
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "health-server.js");
const { dir, cleanup } = tempDir();
const harnesses: SupervisorHarness[] = [];
after(async () => {
  await Promise.all(harnesses.map((h) => h.terminate()));
  cleanup();
});

function harness(processes: object[]): SupervisorHarness {
  const h = new SupervisorHarness({ processes } as never, dir);
  harnesses.push(h);
  return h;
}

/** A folder of its own for a server (its "sick" file). */
function folder(name: string): string {
  const own = path.join(dir, name);
  mkdirSync(own, { recursive: true });
  return own;
}

function healthEvents(h: SupervisorHarness) {
  const seen: Array<{ id: string; old: string | null; new: string; reason: string }> = [];
  h.supervisor.events.on("process_health_changed", (e) => seen.push(e));
  return seen;
}

describe("health checks", () => {
  test("a server that starts answering 500 is restarted after `retries` failures, not before", async () => {
    const port = await freePorts(1);
    const cwd = folder("http");
    const h = harness([
      {
        id: "web",
        cmd: `node ${SERVER}`,
        cwd,
        env: { PORT_TO_USE: String(port) },
        // The start period covers node's start-up on a loaded machine.
        healthcheck: {
          http: `http://127.0.0.1:${port}/health`,
          intervalMs: 150,
          retries: 3,
          startPeriodMs: 2000,
        },
      },
    ]);
    const events = healthEvents(h);
    await h.supervisor.startProcess("web");
    await h.waitRunning("web");
    assert.equal(h.status("web").health, "starting", "running, no success yet");
    await waitFor(() => h.status("web").health === "healthy", "healthy");
    const pid = h.status("web").pid!;
    await sleep(2000 - (Date.now() - Date.parse(h.status("web").started!)));
    writeFileSync(path.join(cwd, "sick"), "");
    await waitFor(() => h.status("web").pid !== pid && h.status("web").status === RUNNING, "a restart");
    rmSync(path.join(cwd, "sick"));
    const answers = h.lines("web").slice(0, h.lines("web").lastIndexOf("answered 500") + 1);
    const failures = answers.length - answers.lastIndexOf("answered 200") - 1;
    assert.equal(failures, 3, `restarted after exactly 3 failed probes: ${answers.join(", ")}`);
    assert.ok(!alive(pid));
    assert.equal(h.status("web").restarts, 1, "counts as an automatic restart");
    assert.match(
      h.logText("web"),
      /unhealthy after 3 failed probes \(HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/health\): restarting/,
    );
    const unhealthy = events.find((e) => e.new === "unhealthy");
    assert.deepEqual(unhealthy && { old: unhealthy.old, id: unhealthy.id }, { old: "healthy", id: "web" });
    assert.match(unhealthy!.reason, /HTTP 500/);
  });

  test("failures in startPeriodMs do not count; without it the same start is unhealthy", async () => {
    const [slow, eager] = [await freePorts(1), await freePorts(1)];
    const server = (id: string, port: number, startPeriodMs: number) => ({
      id,
      cmd: `node ${SERVER}`,
      cwd: folder(id),
      env: { PORT_TO_USE: String(port), LISTEN_AFTER_MS: "900" },
      healthcheck: { tcp: `127.0.0.1:${port}`, intervalMs: 150, retries: 2, startPeriodMs },
    });
    const h = harness([server("patient", slow, 1500), server("eager", eager, 0)]);
    await Promise.all([h.supervisor.startProcess("patient"), h.supervisor.startProcess("eager")]);
    await waitFor(() => h.status("patient").health === "healthy", "patient to be healthy", 5000);
    assert.equal(h.status("patient").restarts, 0);
    assert.ok(h.count("eager", STARTING) >= 2, "eager was restarted before it listened");
    assert.match(h.logText("eager"), /tcp 127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  test("a cmd probe runs in the process's cwd; one that overruns is killed with its group", async () => {
    const cwd = folder("cmd");
    const h = harness([
      {
        id: "job",
        cmd: "sleep 1000",
        cwd,
        healthcheck: { cmd: "test -f ready || exit 7", intervalMs: 100, retries: 100, restart: false },
      },
      {
        id: "stuck",
        cmd: "sleep 1000",
        cwd,
        healthcheck: {
          cmd: "echo $$ > probe.pid; exec sleep 1000",
          intervalMs: 100,
          timeoutMs: 200,
          retries: 1,
          restart: false,
        },
      },
    ]);
    await h.supervisor.startProcess("job");
    await h.supervisor.startProcess("stuck");
    await waitFor(() => h.status("stuck").health === "unhealthy", "stuck to time out");
    assert.match(h.logText("stuck"), /probe command did not finish within 200 ms/);
    const probePid = Number((await import("node:fs")).readFileSync(path.join(cwd, "probe.pid"), "utf8"));
    await waitFor(() => !alive(probePid), "the overrunning probe to be killed");
    await sleep(350);
    assert.equal(h.status("job").health, "starting", "exit 7 is a failure");
    writeFileSync(path.join(cwd, "ready"), "");
    await waitFor(() => h.status("job").health === "healthy", "job to be healthy");
    assert.equal(h.status("stuck").status, RUNNING, "restart: false keeps an unhealthy process");
    await h.supervisor.stopProcess("job");
    assert.equal(h.status("job").health, undefined, "no health when not running");
  });

  test("a cluster probes each instance on its own port; its entry combines their health", async () => {
    const startPort = await freePorts(2);
    const cwd = folder("cluster");
    const h = harness([
      {
        id: "api",
        cmd: `node ${SERVER}`,
        cwd,
        cluster: { instances: 2, startPort },
        healthcheck: { http: "http://127.0.0.1:{port}/", intervalMs: 150 },
      },
    ]);
    await h.supervisor.startProcess("api");
    await waitFor(() => h.status("api").health === "healthy", "both instances healthy");
    assert.equal(h.status("api-1").health, "healthy");
    assert.equal(h.status("api-2").health, "healthy");
    await h.supervisor.stopProcess("api-2");
    assert.equal(h.status("api").health, "healthy", "a stopped instance has no health");
  });
});

describe("restart backoff", () => {
  const delays = (h: SupervisorHarness, id: string) =>
    h.entries
      .filter((e) => e.processId === id)
      .map((e) => /^restarting in (\d+) ms$/.exec(e.text)?.[1])
      .filter((d): d is string => d !== undefined)
      .map(Number);

  test("a crash loop waits 100, 200, 400, 800, 1600, 1600 ms (cap 1600)", async () => {
    const h = harness([
      { id: "crash", cmd: "sh -c 'exit 1'", autostart: true, restartDelayMs: 100, restartBackoffMaxMs: 1600 },
    ]);
    let nextRestart: string | undefined;
    h.supervisor.events.on("process_status_changed", ({ status }) => {
      if (status.id === "crash" && status.nextRestart) nextRestart ??= status.nextRestart;
    });
    await waitFor(() => delays(h, "crash").length >= 6, "six restarts", 15_000);
    assert.deepEqual(delays(h, "crash").slice(0, 6), [100, 200, 400, 800, 1600, 1600]);
    assert.ok(nextRestart && !Number.isNaN(Date.parse(nextRestart)), "nextRestart while pending");
    assert.equal(h.status("crash").pendingRestartReason ?? "restart", "restart");
  });

  test("restartResetMs: a run longer than it starts the backoff and the count over", async () => {
    const h = harness([
      {
        id: "flaky",
        cmd: "sh -c 'sleep 0.4; exit 1'",
        autostart: true,
        restartDelayMs: 50,
        restartBackoffMaxMs: 5000,
        restartResetMs: 200,
      },
      {
        id: "plain",
        cmd: "sh -c 'sleep 0.4; exit 1'",
        autostart: true,
        restartDelayMs: 50,
        restartBackoffMaxMs: 5000,
      },
    ]);
    await waitFor(() => delays(h, "plain").length >= 3, "three restarts", 10_000);
    await waitFor(() => delays(h, "flaky").length >= 3, "three restarts", 10_000);
    assert.deepEqual(delays(h, "plain").slice(0, 3), [50, 100, 200]);
    assert.deepEqual(delays(h, "flaky").slice(0, 3), [50, 50, 50]);
    assert.equal(h.count("flaky", ERRORED) >= 3, true);
  });
});

describe("memory limit", () => {
  test("a child that allocates past maxMemoryMb is restarted; a small one beside it is not", async () => {
    const grow = `node -e "const a=[]; const t=setInterval(()=>{a.push(Buffer.alloc(1e7,1)); if(a.length>=25) clearInterval(t)},20); setInterval(()=>{},1000)"`;
    const h = harness([
      { id: "big", cmd: grow, maxMemoryMb: 120 },
      { id: "small", cmd: "sleep 1000", maxMemoryMb: 120 },
    ]);
    await h.supervisor.startProcess("big");
    await h.supervisor.startProcess("small");
    await waitFor(() => h.status("big").restarts >= 1, "big to be restarted", 20_000);
    assert.match(h.logText("big"), /using \d+ MiB, over maxMemoryMb 120 twice in a row: restarting/);
    assert.equal(h.status("small").restarts, 0);
    assert.equal(h.count("small", STARTING), 1);
  });
});

describe("start order", () => {
  test("a -> b -> c: each autostarts once what it depends on is running (and healthy)", async () => {
    const port = await freePorts(1);
    const h = harness([
      { id: "a", cmd: "sleep 1000", autostart: true, dependsOn: ["b"] },
      { id: "b", cmd: "sleep 1000", autostart: true, dependsOn: ["c"] },
      {
        id: "c",
        cmd: `node ${SERVER}`,
        cwd: folder("dep"),
        autostart: true,
        env: { PORT_TO_USE: String(port), LISTEN_AFTER_MS: "300" },
        healthcheck: { tcp: `127.0.0.1:${port}`, intervalMs: 100, startPeriodMs: 10_000 },
      },
    ]);
    let healthyAt = 0;
    h.supervisor.events.on("process_health_changed", (e) => {
      if (e.id === "c" && e.new === "healthy") healthyAt = performance.now();
    });
    await h.waitRunning("a");
    const runningAt = (id: string) => h.changes.find((c) => c.id === id && c.new === RUNNING)!.at;
    const startingAt = (id: string) => h.changes.find((c) => c.id === id && c.new === STARTING)!.at;
    assert.ok(healthyAt > 0 && startingAt("b") >= healthyAt, "b started after c was healthy");
    assert.ok(startingAt("a") >= runningAt("b"), "a started after b was running");
    assert.match(h.logText("a"), /waiting for b before the autostart/);
  });
});
