import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  afterExit,
  decideStart,
  type ExitFacts,
  effectiveRestart,
  exitState,
  type RestartPolicy,
  restartDelay,
  type StartReason,
  strongerStop,
} from "../../src/core/policy.ts";
import { canTransition, combinedState, ProcessState, stateName } from "../../src/core/states.ts";

const policy = (p: Partial<RestartPolicy> = {}): RestartPolicy => ({
  autostart: false,
  restartDelayMs: 10,
  ...p,
});
const facts = (f: Partial<ExitFacts> = {}): ExitFacts => ({
  code: 0,
  signal: null,
  stopReason: null,
  spawnFailed: false,
  ...f,
});

describe("policy", () => {
  test("derived restart default: always with autostart or watch, else none", () => {
    assert.equal(effectiveRestart(policy()), undefined);
    assert.equal(effectiveRestart(policy({ autostart: true })), "always");
    assert.equal(effectiveRestart(policy({ watch: ["src"] })), "always");
    assert.equal(effectiveRestart(policy({ autostart: true, restart: "error" })), "error");
  });

  test("exit state: clean exit or requested stop is FINISHED, anything else ERRORED", () => {
    assert.equal(exitState(facts()), ProcessState.FINISHED);
    assert.equal(exitState(facts({ code: 1 })), ProcessState.ERRORED);
    assert.equal(exitState(facts({ code: null, signal: "SIGKILL" })), ProcessState.ERRORED);
    assert.equal(
      exitState(facts({ code: null, signal: "SIGTERM", stopReason: "manual" })),
      ProcessState.FINISHED,
    );
    assert.equal(exitState(facts({ code: null, spawnFailed: true })), ProcessState.ERRORED);
  });

  test("restart always / error / none", () => {
    assert.deepEqual(
      afterExit({ policy: policy({ restart: "always" }), facts: facts(), blocked: false, restarts: 0 }),
      {
        action: "restart",
        delayMs: 10,
        counts: true,
      },
    );
    assert.deepEqual(
      afterExit({ policy: policy({ restart: "error" }), facts: facts(), blocked: false, restarts: 0 }),
      { action: "stay" },
    );
    assert.equal(
      afterExit({
        policy: policy({ restart: "error" }),
        facts: facts({ code: 2 }),
        blocked: false,
        restarts: 0,
      }).action,
      "restart",
    );
    assert.equal(
      afterExit({ policy: policy(), facts: facts({ code: 2 }), blocked: false, restarts: 0 }).action,
      "stay",
    );
  });

  test("manual stops, shutdowns, restarts in progress and blocked processes never restart", () => {
    for (const stopReason of ["manual", "terminating", "restart", "watch"] as const) {
      assert.equal(
        afterExit({
          policy: policy({ restart: "always" }),
          facts: facts({ stopReason }),
          blocked: false,
          restarts: 0,
        }).action,
        "stay",
      );
    }
    assert.equal(
      afterExit({
        policy: policy({ restart: "always" }),
        facts: facts({ code: 1 }),
        blocked: true,
        restarts: 0,
      }).action,
      "stay",
    );
  });

  test("restartLimit exhausts after exactly that many restarts; planned stops do not count", () => {
    const p = policy({ restart: "always", restartLimit: 2 });
    assert.equal(
      afterExit({ policy: p, facts: facts({ code: 1 }), blocked: false, restarts: 0 }).action,
      "restart",
    );
    assert.equal(
      afterExit({ policy: p, facts: facts({ code: 1 }), blocked: false, restarts: 1 }).action,
      "restart",
    );
    assert.equal(
      afterExit({ policy: p, facts: facts({ code: 1 }), blocked: false, restarts: 2 }).action,
      "exhaust",
    );
    assert.deepEqual(
      afterExit({ policy: p, facts: facts({ stopReason: "scheduled" }), blocked: false, restarts: 2 }),
      {
        action: "restart",
        delayMs: 10,
        counts: false,
      },
    );
    assert.equal(
      afterExit({
        policy: policy({ restart: "always", restartLimit: 0 }),
        facts: facts({ code: 1 }),
        blocked: false,
        restarts: 0,
      }).action,
      "exhaust",
    );
  });

  test("starts: guarded by state; blocked refuses; cron with overrun adds a run; a start while stopping waits", () => {
    const { RUNNING, STOPPING, STARTING, FINISHED, EXHAUSTED, CREATED } = ProcessState;
    const start = (reason: StartReason, state: number, blocked = false, overrun = false) =>
      decideStart({ reason, state, blocked, overrun });
    assert.deepEqual(start("manual", FINISHED, true), { action: "refuse", why: "blocked" });
    for (const state of [CREATED, FINISHED, EXHAUSTED, ProcessState.ERRORED]) {
      assert.deepEqual(start("auto-restart", state), { action: "launch" });
    }
    assert.deepEqual(start("manual", RUNNING, false, true), { action: "refuse", why: "running" });
    assert.deepEqual(start("cron", RUNNING), { action: "refuse", why: "running" });
    assert.deepEqual(start("cron", RUNNING, false, true), { action: "overrun" });
    // A cron start while stopping never adds a run that the stop would not signal.
    assert.deepEqual(start("cron", STOPPING, false, true), { action: "refuse", why: "running" });
    assert.deepEqual(start("cron", STARTING, false, true), { action: "refuse", why: "running" });
    assert.deepEqual(start("manual", STOPPING), { action: "after-stop" });
    assert.deepEqual(start("autostart", STOPPING), { action: "refuse", why: "running" });
  });

  test("backoff doubles from restartDelayMs up to the cap; without a cap the delay is constant", () => {
    const capped = policy({ restart: "always", restartDelayMs: 100, restartBackoffMaxMs: 1600 });
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 60].map((n) => restartDelay(capped, n)),
      [100, 200, 400, 800, 1600, 1600, 1600],
    );
    assert.equal(restartDelay(policy({ restartDelayMs: 100 }), 7), 100);
    assert.equal(restartDelay(policy({ restartDelayMs: 0, restartBackoffMaxMs: 1000 }), 3), 0);
    const decision = afterExit({ policy: capped, facts: facts({ code: 1 }), blocked: false, restarts: 3 });
    assert.deepEqual(decision, { action: "restart", delayMs: 800, counts: true });
  });

  test("a stop for health or memory restarts at once and counts, whatever the restart policy", () => {
    for (const stopReason of ["unhealthy", "memory"] as const) {
      assert.deepEqual(
        afterExit({ policy: policy(), facts: facts({ stopReason }), blocked: false, restarts: 0 }),
        {
          action: "restart",
          delayMs: 0,
          counts: true,
        },
      );
      assert.deepEqual(
        afterExit({
          policy: policy({ restartLimit: 2 }),
          facts: facts({ stopReason }),
          blocked: false,
          restarts: 2,
        }),
        { action: "exhaust" },
      );
      assert.deepEqual(
        afterExit({ policy: policy(), facts: facts({ stopReason }), blocked: true, restarts: 0 }),
        {
          action: "stay",
        },
      );
    }
  });

  test("the last command wins: a manual stop or the shutdown outranks other stops", () => {
    assert.equal(strongerStop("restart", "manual"), "manual");
    assert.equal(strongerStop("manual", "restart"), "manual");
    assert.equal(strongerStop("scheduled", "terminating"), "terminating");
    assert.equal(strongerStop(null, "watch"), "watch");
  });
});

describe("states", () => {
  test("codes and names as in Pup's API", () => {
    assert.deepEqual(Object.entries(ProcessState), [
      ["CREATED", 0],
      ["STARTING", 100],
      ["RUNNING", 200],
      ["STOPPING", 250],
      ["FINISHED", 300],
      ["ERRORED", 400],
      ["EXHAUSTED", 450],
      ["MIXED", 500],
    ]);
    assert.equal(stateName(450), "EXHAUSTED");
  });

  test("transition table refuses the impossible", () => {
    assert.ok(canTransition(ProcessState.CREATED, ProcessState.STARTING));
    assert.ok(!canTransition(ProcessState.CREATED, ProcessState.RUNNING));
    assert.ok(!canTransition(ProcessState.FINISHED, ProcessState.RUNNING));
    assert.ok(!canTransition(ProcessState.STOPPING, ProcessState.RUNNING));
  });

  test("a group shows MIXED when its instances differ", () => {
    assert.equal(combinedState([200, 200]), 200);
    assert.equal(combinedState([200, 300]), ProcessState.MIXED);
  });
});
