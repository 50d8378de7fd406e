import assert from "node:assert/strict";
import { test } from "node:test";
import { summarizeAction } from "../../src/cli/action-summary.ts";
import { ProcessState } from "../../src/core/states.ts";
import type { ProcessInfo } from "../../src/core/types.ts";

const RUNNING = ProcessState.RUNNING;
const FINISHED = ProcessState.FINISHED;

function p(id: string, status: number, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { id, type: "process", status, blocked: false, restarts: 0, updated: "", ...extra } as ProcessInfo;
}

test("an action that did something reads as before: `started web: web RUNNING`", () => {
  assert.equal(
    summarizeAction("start", "web", [p("web", FINISHED)], [p("web", RUNNING, { pid: 7 })]),
    "started web: web RUNNING",
  );
  assert.equal(
    summarizeAction("restart", "web", [], [p("web", RUNNING, { pid: 8 })]),
    "restarted web: web RUNNING",
  );
});

test("nothing to do is said: already running, not running, already blocked, not blocked", () => {
  const running = p("web", RUNNING, { pid: 7 });
  assert.equal(summarizeAction("start", "web", [running], [running]), "web is already running (pid 7)");
  const stopped = p("job", FINISHED);
  assert.equal(summarizeAction("stop", "job", [stopped], [stopped]), "job is not running (FINISHED)");
  const blocked = p("job", FINISHED, { blocked: true });
  assert.equal(summarizeAction("block", "job", [blocked], [blocked]), "job is already blocked");
  assert.equal(summarizeAction("unblock", "job", [stopped], [stopped]), "job is not blocked");
});

test("a mix names both; a cluster counts as done when any of its instances was", () => {
  const before = [
    p("a", RUNNING, { pid: 1 }),
    p("b", FINISHED),
    p("c", ProcessState.MIXED, { type: "cluster" }),
    p("c-1", RUNNING, { pid: 3 }),
    p("c-2", FINISHED),
  ];
  const after = [
    p("a", RUNNING, { pid: 1 }),
    p("b", RUNNING, { pid: 2 }),
    p("c", RUNNING, { type: "cluster" }),
    p("c-1", RUNNING, { pid: 3 }),
    p("c-2", RUNNING, { pid: 4 }),
  ];
  assert.equal(
    summarizeAction("start", "all", before, after),
    "started all: b RUNNING, c RUNNING, c-2 RUNNING; already running: a, c-1",
  );
  const allRunning = after;
  assert.equal(
    summarizeAction("start", "c", allRunning, allRunning.slice(2)),
    "c: already running: c, c-1, c-2",
  );
});
