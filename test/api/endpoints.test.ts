import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { compileErrors, validate } from "@readme/openapi-parser";
import { ProcessState } from "../../src/core/states.ts";
import { alive, waitFor } from "../helpers/wait.ts";
import { ApiInstance, type Json } from "./api-instance.ts";

const { RUNNING, FINISHED, CREATED } = ProcessState;

describe("API endpoints (SPEC §5.2)", () => {
  let api: ApiInstance;
  const orphans: number[] = [];
  before(async () => {
    api = await ApiInstance.start({
      processes: [
        {
          id: "tree",
          // A shell with a child and a grandchild: all of them must end on stop.
          cmd: "sh -c 'sleep 1000 & echo $! >> pids; sh -c \"sleep 1000 & echo \\$! >> pids; wait\" & echo $$ >> pids; wait'",
          autostart: true,
          restart: "always",
          restartDelayMs: 0,
        },
        { id: "idle", cmd: "sleep 1000" },
        { id: "web", cmd: "sleep 1000", cluster: { instances: 2 } },
        { id: "talker", cmd: "sh -c 'echo hello from talker; sleep 1000'", autostart: true },
      ],
    });
  });
  after(async () => {
    await api.close();
    for (const pid of orphans) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone, as it should be
      }
    }
  });

  test("GET /processes: every process, a cluster's entry then its instances, with status and config", async () => {
    const r = await api.call("GET", "/processes");
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.data.map((e: Json) => e.status.id),
      ["tree", "idle", "web", "web-1", "web-2", "talker"],
    );
    const web = r.body.data[2];
    assert.equal(web.status.type, "cluster");
    assert.equal(web.config.cluster.instances, 2);
    assert.equal(r.body.data[1].config.cmd, "sleep 1000");
    assert.equal(r.body.data[1].status.status, CREATED);
    assert.equal(r.body.data[1].status.blocked, false);
  });

  test("GET /processes/{id}: one process, case-insensitively; 404 for an unknown id", async () => {
    const r = await api.call("GET", "/processes/IDLE");
    assert.equal(r.status, 200);
    assert.equal(r.body.data.status.id, "idle");
    assert.equal(r.body.data.config.id, "idle");
    assert.equal((await api.call("GET", "/processes/web-2")).body.data.status.id, "web-2");
    const missing = await api.call("GET", "/processes/nope");
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: 'unknown process "nope"' });
  });

  test("every action answers 404 for an unknown id", async () => {
    for (const action of ["start", "stop", "restart", "block", "unblock"]) {
      const r = await api.call("POST", `/processes/nope/${action}`);
      assert.equal(r.status, 404, `${action}: ${r.text}`);
      assert.match(r.body.error, /unknown process "nope"/);
    }
  });

  test("stop answers once the process and its whole group have exited; it stays stopped", async () => {
    await api.waitStatus("tree", RUNNING);
    const pidsFile = path.join(api.dir, "pids");
    const pids = await waitFor(() => {
      const list = existsSync(pidsFile) ? readFileSync(pidsFile, "utf8").trim().split("\n").map(Number) : [];
      return list.length >= 3 ? list : undefined;
    }, "three pids");
    orphans.push(...pids);
    for (const pid of pids) assert.ok(alive(pid));
    const r = await api.call("POST", "/processes/tree/stop");
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data[0].id, "tree");
    assert.equal(r.body.data[0].status, FINISHED);
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} outlived the stop`);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(api.status("tree").status, FINISHED, "a manual stop is not restarted");
    // Not running: a 200 no-op.
    assert.equal((await api.call("POST", "/processes/tree/stop")).status, 200);
  });

  test("start, 200 no-op when running; block refuses start and restart with 409; unblock does not start", async () => {
    const started = await api.call("POST", "/processes/idle/start");
    assert.equal(started.status, 200);
    await api.waitStatus("idle", RUNNING);
    const pid = api.status("idle").pid;
    assert.equal((await api.call("POST", "/processes/idle/start")).status, 200);
    assert.equal(api.status("idle").pid, pid, "already running: left as it is");

    assert.equal((await api.call("POST", "/processes/idle/stop")).status, 200);
    const blocked = await api.call("POST", "/processes/idle/block");
    assert.equal(blocked.status, 200);
    assert.equal(blocked.body.data[0].blocked, true);
    for (const action of ["start", "restart"]) {
      const r = await api.call("POST", `/processes/idle/${action}`);
      assert.equal(r.status, 409, r.text);
      assert.match(r.body.error, /blocked/);
    }
    assert.equal(api.status("idle").status, FINISHED);
    const unblocked = await api.call("POST", "/processes/idle/unblock");
    assert.equal(unblocked.status, 200);
    assert.equal(unblocked.body.data[0].blocked, false);
    assert.equal(api.status("idle").status, FINISHED, "unblocking does not start");
  });

  test("restart starts a stopped process and replaces a running one", async () => {
    const r = await api.call("POST", "/processes/idle/restart");
    assert.equal(r.status, 200, r.text);
    await api.waitStatus("idle", RUNNING);
    const pid = api.status("idle").pid;
    assert.equal((await api.call("POST", "/processes/idle/restart")).status, 200);
    await api.waitStatus("idle", RUNNING);
    assert.notEqual(api.status("idle").pid, pid);
  });

  test("a cluster id acts on all its instances; an instance id on that one", async () => {
    const r = await api.call("POST", "/processes/web/start");
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.data.map((s: Json) => s.id),
      ["web", "web-1", "web-2"],
    );
    await api.waitStatus("web-1", RUNNING);
    await api.waitStatus("web-2", RUNNING);
    const one = await api.call("POST", "/processes/web-1/stop");
    assert.deepEqual(
      one.body.data.map((s: Json) => s.id),
      ["web-1"],
    );
    assert.equal(api.status("web-1").status, FINISHED);
    assert.equal(api.status("web-2").status, RUNNING);
    assert.equal(api.status("web").status, ProcessState.MIXED);
  });

  test("`all`: block all, start all skips blocked ones (200), stop all", async () => {
    assert.equal((await api.call("POST", "/processes/all/block")).status, 200);
    assert.ok(api.instance.supervisor.list().every((e) => e.status.blocked));
    const start = await api.call("POST", "/processes/all/start");
    assert.equal(start.status, 200, start.text);
    assert.equal(start.body.data.length, 6);
    assert.equal((await api.call("POST", "/processes/all/unblock")).status, 200);
    const stop = await api.call("POST", "/processes/all/stop");
    assert.equal(stop.status, 200);
    for (const e of api.instance.supervisor.list()) assert.notEqual(e.status.status, RUNNING, e.status.id);
  });

  test("GET /state has every field of SPEC §5.2", async () => {
    const r = await api.call("GET", "/state");
    assert.equal(r.status, 200);
    const s = r.body.data;
    assert.equal(s.pid, process.pid);
    assert.equal(typeof s.version, "string");
    assert.equal(s.status, "RUNNING");
    assert.equal(s.type, "main");
    assert.equal(s.port, api.port);
    assert.ok(Date.parse(s.updated) >= Date.parse(s.started));
    for (const k of ["rss", "heapTotal", "heapUsed", "external"])
      assert.equal(typeof s.memory[k], "number", k);
    for (const k of ["total", "free", "available", "buffers", "cached", "swapTotal", "swapFree"]) {
      assert.equal(typeof s.systemMemory[k], "number", k);
    }
    assert.ok(s.systemMemory.total > s.systemMemory.available);
    const memTotal = /MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))![1];
    assert.equal(s.systemMemory.total, Number(memTotal) * 1024, "from /proc/meminfo, in bytes");
    assert.equal(s.loadAvg.length, 3);
    assert.equal(typeof s.osUptime, "number");
    assert.equal(typeof s.osRelease, "string");
    assert.match(s.runtime, /node/i);
    assert.deepEqual(
      s.processes.map((p: Json) => p.id),
      ["tree", "idle", "web", "web-1", "web-2", "talker"],
    );
  });

  test("POST /telemetry stores the process's telemetry; 400 malformed, 404 unknown sender", async () => {
    const memory = { rss: 123, heapTotal: 4, heapUsed: 3, external: 1 };
    const telemetry = { sender: "talker", memory, sent: new Date().toISOString(), cwd: "/tmp" };
    const r = await api.call("POST", "/telemetry", { body: telemetry });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((await api.call("GET", "/processes/talker")).body.data.status.telemetry, telemetry);
    const unknown = await api.call("POST", "/telemetry", { body: { ...telemetry, sender: "ghost" } });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error, /ghost/);
    for (const body of [{ memory: {}, sent: "x", cwd: "/" }, [], "text", { ...telemetry, sent: undefined }]) {
      const bad = await api.call("POST", "/telemetry", { body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(typeof bad.body.error, "string");
    }
  });

  test("POST /ipc: 200, 400 when a field is missing, 404 for a target that is neither a process nor *", async () => {
    for (const target of ["talker", "TALKER", "web-1", "*"]) {
      const r = await api.call("POST", "/ipc", { body: { target, event: "ping", eventData: { n: 1 } } });
      assert.equal(r.status, 200, target);
    }
    for (const target of ["ghost", "all"]) {
      const r = await api.call("POST", "/ipc", { body: { target, event: "ping", eventData: null } });
      assert.equal(r.status, 404, target);
      assert.match(r.body.error, new RegExp(`"${target}"`));
    }
    for (const missing of ["target", "event", "eventData"]) {
      const body: Record<string, unknown> = { target: "talker", event: "ping", eventData: 1 };
      delete body[missing];
      const r = await api.call("POST", "/ipc", { body });
      assert.equal(r.status, 400, missing);
      assert.match(r.body.error, new RegExp(missing));
    }
  });

  test("POST /log: 201, stored with category api-<plugin>; 400 for a missing field or an unknown severity", async () => {
    const r = await api.call("POST", "/log", {
      body: { severity: "warn", plugin: "probe", message: "hello log" },
    });
    assert.equal(r.status, 201, r.text);
    const entry = api.entries.find((e) => e.text === "hello log");
    assert.equal(entry?.category, "api-probe");
    assert.equal(entry?.severity, "warn");
    for (const body of [
      { severity: "loud", plugin: "p", message: "m" },
      { plugin: "p", message: "m" },
      { severity: "info", message: "m" },
      { severity: "info", plugin: "p" },
    ]) {
      assert.equal((await api.call("POST", "/log", { body })).status, 400, JSON.stringify(body));
    }
  });

  test("GET /logs: filters, newest n oldest first, 400 when a number does not parse", async () => {
    await waitFor(() => api.entries.some((e) => e.text === "hello from talker"), "talker's line");
    const stdout = await api.call("GET", "/logs?processId=talker&severity=log");
    assert.equal(stdout.status, 200);
    assert.ok(stdout.body.data.some((e: Json) => e.text === "hello from talker"));
    assert.ok(stdout.body.data.every((e: Json) => e.processId === "talker" && e.severity === "log"));
    for (let i = 0; i < 5; i++) {
      await api.call("POST", "/log", { body: { severity: "info", plugin: "seq", message: `n${i}` } });
    }
    const last = await api.call("GET", "/logs?nRows=3&processId=core");
    assert.deepEqual(
      last.body.data.map((e: Json) => e.text),
      ["n2", "n3", "n4"],
    );
    const from = last.body.data[1].timeStamp;
    const window = await api.call("GET", `/logs?startTimeStamp=${from}&endTimeStamp=${from}&processId=core`);
    assert.ok(window.body.data.every((e: Json) => e.timeStamp === from));
    assert.ok(window.body.data.some((e: Json) => e.text === "n3"));
    const all = await api.call("GET", "/logs");
    assert.ok(all.body.data.length <= 100);
    for (const q of [
      "nRows=abc",
      "startTimeStamp=yesterday",
      "endTimeStamp=1.5e",
      "nRows=0",
      "nRows=10001",
    ]) {
      const r = await api.call("GET", `/logs?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(typeof r.body.error, "string");
    }
    assert.equal((await api.call("GET", "/logs?nRows=10000")).status, 200);
  });

  test("malformed JSON is 400, a body over 1 MiB is 413, never 500", async () => {
    const bad = await api.call("POST", "/log", { rawBody: '{"severity": "info",' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /JSON/);
    const big = await api.call("POST", "/log", {
      body: { severity: "info", plugin: "p", message: "x".repeat(1024 * 1024) },
    });
    assert.equal(big.status, 413);
    assert.equal(typeof big.body.error, "string");
    const notJson = await api.call("POST", "/log", {
      rawBody: "hi",
      headers: { "content-type": "text/plain" },
    });
    assert.ok(notJson.status >= 400 && notJson.status < 500, String(notJson.status));
    const empty = await api.call("POST", "/ipc", { rawBody: "" });
    assert.equal(empty.status, 400);
    const unknownRoute = await api.call("GET", "/nothing-here");
    assert.equal(unknownRoute.status, 404);
    assert.equal(typeof unknownRoute.body.error, "string");
  });

  test("every route is served identically under /api", async () => {
    const root = await api.call("GET", "/processes/talker");
    const prefixed = await api.call("GET", "/api/processes/talker");
    assert.equal(prefixed.status, 200);
    assert.deepEqual(prefixed.body.data.config, root.body.data.config);
    assert.equal((await api.call("GET", "/api/processes/nope")).status, 404);
    assert.equal((await api.call("POST", "/api/processes/idle/block")).status, 200);
    assert.equal(api.status("idle").blocked, true);
    assert.equal((await api.call("POST", "/api/processes/idle/start")).status, 409);
    assert.equal((await api.call("POST", "/api/processes/idle/unblock")).status, 200);
    assert.equal((await api.call("GET", "/api/state")).body.data.type, "main");
    assert.equal((await api.call("GET", "/api/logs?nRows=x")).status, 400);
    assert.equal((await api.call("POST", "/api/log", { rawBody: "{" })).status, 400);
    assert.match((await api.call("GET", "/api/metrics")).text, /pup_process_state/);
  });

  test("GET /metrics: Prometheus text with process, request and log metrics", async () => {
    await api.call("POST", "/processes/talker/start");
    await api.call("GET", "/processes/nope");
    const r = await api.call("GET", "/metrics");
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /text\/plain/);
    const text = r.text;
    assert.match(text, /pup_process_state\{process="talker",type="process"\} 200/);
    assert.match(text, /pup_process_state\{process="web",type="cluster"\} \d+/);
    assert.match(text, /pup_process_restarts\{process="talker"\} 0/);
    assert.match(text, /pup_process_cpu_seconds_total\{process="talker"\} [\d.e-]+/);
    const uptime = /pup_process_uptime_seconds\{process="talker"\} (\S+)/.exec(text);
    assert.ok(uptime && Number(uptime[1]) > 0, "talker's uptime");
    assert.match(text, /pup_api_requests_total\{method="GET",route="\/processes\/:id",status="404"\} [1-9]/);
    assert.match(
      text,
      /pup_api_requests_total\{method="GET",route="\/api\/processes\/:id",status="200"\} [1-9]/,
    );
    assert.match(text, /pup_log_entries_total\{severity="info"\} [1-9]/);
    assert.match(text, /pup_api_stream_subscribers 0/);
    // RSS appears once the instance has sampled the process.
    api.instance.supervisor.sampleUsage();
    assert.match(
      (await api.call("GET", "/metrics")).text,
      /pup_process_resident_memory_bytes\{process="talker"\} [1-9]/,
    );
  });

  test("GET /openapi.json: a valid OpenAPI 3.1 document describing every route with its scope", async () => {
    const r = await api.call("GET", "/openapi.json", { token: null });
    assert.equal(r.status, 200);
    const doc = r.body;
    assert.equal(doc.openapi, "3.1.0");
    const result = await validate(structuredClone(doc));
    assert.ok(result.valid, result.valid ? "" : compileErrors(result));
    const routes = [
      ["get", "/processes"],
      ["get", "/processes/{id}"],
      ["post", "/processes/{id}/start"],
      ["post", "/processes/{id}/stop"],
      ["post", "/processes/{id}/restart"],
      ["post", "/processes/{id}/block"],
      ["post", "/processes/{id}/unblock"],
      ["get", "/state"],
      ["post", "/telemetry"],
      ["post", "/ipc"],
      ["post", "/log"],
      ["get", "/logs"],
      ["post", "/terminate"],
      ["get", "/wss"],
      ["get", "/metrics"],
      ["get", "/openapi.json"],
    ];
    for (const [method, route] of routes) assert.ok(doc.paths[route]?.[method], `${method} ${route}`);
    assert.deepEqual(
      doc.servers.map((s: Json) => s.url),
      ["/", "/api"],
    );
    assert.deepEqual(doc.paths["/state"].get.security, [{ bearer: [] }]);
    assert.deepEqual(doc.paths["/openapi.json"].get.security, []);
    assert.match(doc.paths["/terminate"].post.description, /terminate/);
    assert.ok(doc.paths["/processes/{id}/start"].post.responses["409"]);
    assert.ok(doc.paths["/logs"].get.parameters.some((p: Json) => p.name === "nRows"));
    assert.deepEqual(doc.paths["/log"].post.requestBody.content["application/json"].schema.required, [
      "severity",
      "plugin",
      "message",
    ]);
  });
});

describe("POST /terminate", () => {
  test("answers 200 first, then stops every process, closes the API and removes the port file", async () => {
    const api = await ApiInstance.start({ processes: [{ id: "a", cmd: "sleep 1000", autostart: true }] });
    try {
      await api.waitStatus("a", RUNNING);
      const pid = api.status("a").pid!;
      const r = await api.call("POST", "/terminate");
      assert.equal(r.status, 200, r.text);
      await api.instance.finished;
      assert.ok(!alive(pid));
      assert.ok(!existsSync(api.instance.paths.portFile), "port file removed");
      await assert.rejects(fetch(`${api.base}/processes`), "the API is closed");
    } finally {
      await api.close();
    }
  });
});
