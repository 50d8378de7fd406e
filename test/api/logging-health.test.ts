import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { waitFor } from "../helpers/wait.ts";
import { ApiInstance } from "./api-instance.ts";

/* How logging is doing is visible: GET /state `logging`, and gauges and counters in /metrics. */

const apis: ApiInstance[] = [];
after(async () => {
  await Promise.all(apis.map((a) => a.close()));
});

test("a log file that cannot be written shows in GET /state (logging) and /metrics; one that can, as ok", async () => {
  const api = await ApiInstance.start({
    logger: { console: false, stdout: "blocked.log", stderr: "blocked.err" },
    processes: [{ id: "hello", cmd: "sh -c 'echo one; echo two'", autostart: true }],
  });
  apis.push(api);
  const file = path.join(api.dir, "blocked.log");
  // Error entries go to the stderr file: a directory is in its way.
  const blocked = path.join(api.dir, "blocked.err");
  mkdirSync(blocked);
  api.instance.logger.log("error", "test", "to the stderr file, which is a directory");
  api.instance.logger.log("error", "test", "again");
  const state = await waitFor(async () => {
    const { body } = await api.call("GET", "/state");
    const files = body.data.logging?.files ?? [];
    return files.some((f: { ok: boolean }) => !f.ok) ? body.data.logging : undefined;
  }, "a failing file in GET /state");
  assert.equal(state.store, undefined, "no store in this instance");
  const ok = state.files.find((f: { path: string }) => f.path === file);
  assert.deepEqual(ok, { sink: "file", path: file, ok: true, dropped: 0 });
  const failing = state.files.find((f: { path: string }) => f.path === blocked);
  assert.equal(failing.ok, false);
  assert.equal(failing.error, "EISDIR");
  assert.match(failing.since, /^\d{4}-\d\d-\d\dT/);

  const metrics = (await api.call("GET", "/metrics")).text;
  assert.match(metrics, new RegExp(`pup_log_sink_up\\{sink="file",path="${blocked}"\\} 0`));
  assert.match(metrics, new RegExp(`pup_log_sink_up\\{sink="file",path="${file}"\\} 1`));
  assert.match(metrics, /# TYPE pup_log_entries_dropped_total counter/);
  // The failure was reported once, to the other sinks.
  const reports = api.entries.filter((e) => e.category === "logger" && e.text.includes("blocked.err"));
  assert.equal(reports.length, 1, JSON.stringify(reports));
});
