import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { signToken } from "../../src/api/sign.ts";
import { ApiError, actionMessage } from "../../src/dashboard/ui/api-error.ts";
import { duration, relative } from "../../src/dashboard/ui/format.ts";
import { inQuery, LogWindow, logsQuery, matchesText, NO_FILTER } from "../../src/dashboard/ui/log-window.ts";
import { SampleWindow } from "../../src/dashboard/ui/samples.ts";
import { rowActions, statusNote, withConnections } from "../../src/dashboard/ui/status-text.ts";
import { allows, identityOf } from "../../src/dashboard/ui/token.ts";
import type { LogEntry, ProcessStatus } from "../../src/dashboard/ui/types.ts";

const entry = (timeStamp: number, text: string, extra: Partial<LogEntry> = {}): LogEntry => ({
  severity: "log",
  category: "stdout",
  processId: "p",
  timeStamp,
  text,
  ...extra,
});

/** The entries of a store, and GET /logs over them: the newest nRows up to endTimeStamp. */
function store(entries: LogEntry[]) {
  return (query: URLSearchParams) => {
    const end = Number(query.get("endTimeStamp") ?? Number.POSITIVE_INFINITY);
    return entries.filter((e) => e.timeStamp <= end).slice(-Number(query.get("nRows")));
  };
}

describe("the log window", () => {
  test("older pages read by time lose and repeat nothing, also across entries of one millisecond", () => {
    // 50 entries, five to a millisecond, so page boundaries fall inside a millisecond.
    const all = Array.from({ length: 50 }, (_, i) => entry(1000 + Math.floor(i / 5), `line ${i}`));
    const read = store(all);
    const window = new LogWindow(1000);
    window.reset(read(logsQuery(NO_FILTER, 7)), false);
    while (!window.reachedStart) window.prepend(read(window.olderQuery(NO_FILTER, 7)!), 7);
    assert.deepEqual(
      window.entries.map((e) => e.text),
      all.map((e) => e.text),
    );
  });

  test("holds at most its bound: live entries push out the oldest, older pages the newest", () => {
    const window = new LogWindow(3);
    window.reset([entry(1, "a"), entry(2, "b")], false);
    assert.equal(window.append(entry(3, "c")), 0);
    assert.equal(window.append(entry(4, "d")), 1);
    assert.deepEqual(
      window.entries.map((e) => e.text),
      ["b", "c", "d"],
    );
    assert.ok(window.atLiveEdge);
    const { added } = window.prepend([entry(0, "z"), entry(1, "a")], 2);
    assert.equal(added, 2);
    assert.deepEqual(
      window.entries.map((e) => e.text),
      ["z", "a", "b"],
    );
    assert.equal(window.atLiveEdge, false, "live entries would no longer continue what is held");
  });

  test("a short older page means the start is reached", () => {
    const window = new LogWindow(100);
    window.reset([entry(5, "x")], false);
    window.prepend([entry(4, "w")], 10);
    assert.ok(window.reachedStart);
  });

  test("filters: the query's part and the search text", () => {
    const e = entry(10, "Connection refused", { processId: "web", severity: "error", category: "stderr" });
    assert.ok(inQuery(e, { ...NO_FILTER, processId: "web", severity: "error", from: 10, to: 10 }));
    assert.equal(inQuery(e, { ...NO_FILTER, to: 9 }), false);
    assert.equal(inQuery(e, { ...NO_FILTER, processId: "db" }), false);
    assert.ok(matchesText(e, "refused"));
    assert.ok(matchesText(e, "CONNECTION"));
    assert.ok(matchesText(e, "stderr"));
    assert.equal(matchesText(e, "accepted"), false);
    assert.equal(
      logsQuery({ ...NO_FILTER, processId: "web", from: 5 }, 200).toString(),
      "nRows=200&processId=web&startTimeStamp=5",
    );
  });
});

describe("the token's identity", () => {
  test("consumer and scopes from a token pup signs", () => {
    const secret = "s".repeat(64);
    const reader = identityOf(signToken(secret, { consumer: "viewer", expiresIn: 60, scopes: ["read"] }));
    assert.equal(reader?.consumer, "viewer");
    assert.deepEqual(reader?.scopes, ["read"]);
    assert.equal(allows(reader, "control"), false);
    assert.ok(allows(reader, "read"));
    const all = identityOf(signToken(secret, { consumer: "admin", expiresIn: 60 }));
    assert.equal(all?.scopes, undefined);
    assert.ok(allows(all, "control"), "a token without scopes has every scope");
  });

  test("anything else is no identity, and the instance decides", () => {
    assert.equal(identityOf("not-a-token"), undefined);
    assert.equal(identityOf("a.%%%.c"), undefined);
    assert.ok(allows(undefined, "control"));
  });
});

describe("the sample window", () => {
  test("keeps its span, aligns keys by time, and fills gaps with null", () => {
    const window = new SampleWindow(10_000);
    window.add({ t: 0, usage: { a: [1, 100] } });
    window.add({ t: 5_000, usage: { a: [2, 200], b: [3, 300] } });
    window.add({ t: 12_000, usage: { b: [4, 400] } });
    assert.deepEqual(window.series(["a", "b"], "rss"), [
      [5, 12],
      [200, null],
      [300, 400],
    ]);
    assert.deepEqual(window.series(["b"], "cpu"), [
      [5, 12],
      [3, 4],
    ]);
  });

  test("restores what it saved, ignoring what is not a sample", () => {
    const window = new SampleWindow(60_000);
    window.add({ t: 1_000, usage: { a: [1, 1] } });
    const copy = new SampleWindow(60_000);
    copy.restore(JSON.parse(JSON.stringify([...window.toJSON(), { t: "x" }, null])));
    assert.deepEqual(copy.series(["a"], "cpu"), [[1], [1]]);
  });
});

describe("what a status says", () => {
  const status = (extra: Partial<ProcessStatus>): ProcessStatus => ({
    id: "p",
    type: "process",
    status: 400,
    blocked: false,
    restarts: 2,
    updated: new Date(0).toISOString(),
    ...extra,
  });
  const now = Date.parse("2026-01-01T00:00:00Z");

  test("a pending restart counts down; a cron process says when it runs next", () => {
    assert.equal(
      statusNote(status({ nextRestart: "2026-01-01T00:00:04.200Z" }), undefined, now),
      "restart in 5s",
    );
    assert.equal(statusNote(status({ status: 300 }), "2026-01-01T02:03:00Z", now), "next run in 2h 3m");
    assert.equal(statusNote(status({ status: 200, connections: 1 }), undefined, now), "1 connection");
  });

  test("a cluster instance's connections come from its balancer in the state", () => {
    const processes = [
      status({ id: "web", type: "cluster" }),
      status({ id: "web-1" }),
      status({ id: "web-2" }),
    ];
    const state = {
      pid: 1,
      version: "x",
      started: "",
      updated: "",
      memory: { rss: 0 },
      loadAvg: [],
      processes,
      balancers: [
        {
          process: "web",
          backends: [
            { name: "web-1", open: 3 },
            { name: "web-2", open: 0 },
          ],
        },
      ],
    };
    assert.deepEqual(
      withConnections(state).map((s) => [s.id, s.connections]),
      [
        ["web", undefined],
        ["web-1", 3],
        ["web-2", 0],
      ],
    );
    assert.equal(withConnections({ ...state, balancers: undefined }), processes);
  });

  test("actions follow the state and the block", () => {
    assert.deepEqual(rowActions(status({ status: 200 })), ["stop", "restart", "block"]);
    assert.deepEqual(rowActions(status({ status: 400, blocked: true })), ["start", "restart", "unblock"]);
  });

  test("times", () => {
    assert.equal(duration(3_723_000), "1h 2m");
    assert.equal(relative("2025-12-31T23:59:00Z", now), "1m 0s ago");
  });
});

describe("an action's failure", () => {
  test("a 403 says the token may not, with its scopes", () => {
    const viewer = { consumer: "viewer", scopes: ["read"], expires: undefined };
    assert.equal(
      actionMessage("stop", "web", new ApiError(403, "Forbidden"), viewer),
      "stop web: not allowed for this token (scopes: read): Forbidden",
    );
    assert.equal(
      actionMessage("start", "job", new ApiError(409, 'process "job" is blocked'), viewer),
      'start job: process "job" is blocked',
    );
  });
});
