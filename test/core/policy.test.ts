import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  afterExit,
  checkStart,
  type ExitFacts,
  effectiveRestart,
  exitState,
  type RestartPolicy,
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

  test("starts: blocked refuses everything; running refuses unless a cron start with overrun", () => {
    assert.deepEqual(checkStart({ reason: "manual", blocked: true, active: false, overrun: false }), {
      ok: false,
      why: "blocked",
    });
    assert.deepEqual(checkStart({ reason: "manual", blocked: false, active: true, overrun: true }), {
      ok: false,
      why: "running",
    });
    assert.deepEqual(checkStart({ reason: "cron", blocked: false, active: true, overrun: false }), {
      ok: false,
      why: "running",
    });
    assert.deepEqual(checkStart({ reason: "cron", blocked: false, active: true, overrun: true }), {
      ok: true,
    });
    assert.deepEqual(checkStart({ reason: "auto-restart", blocked: false, active: false, overrun: false }), {
      ok: true,
    });
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
