import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Telemetry } from "../../src/core/types.ts";
import { waitFor } from "../helpers/wait.ts";
import { ApiInstance, type Json } from "./api-instance.ts";

/** `[[[…]]]` nested `depth` times: about 2 bytes a level. */
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

const memory = { rss: 1, heapTotal: 2, heapUsed: 3, external: 4 };
const report = (extra: Record<string, unknown> = {}) => ({
  sender: "a",
  memory,
  sent: new Date().toISOString(),
  cwd: "/",
  ...extra,
});

describe("bodies from any token holder cannot take the API down", () => {
  let api: ApiInstance;
  before(async () => {
    api = await ApiInstance.start({
      processes: [
        { id: "a", cmd: "sleep 1000" },
        { id: "b", cmd: "sleep 1000" },
      ],
    });
  });
  after(() => api.close());

  const stillServing = async () => {
    for (const route of ["/state", "/processes", "/processes/a"]) {
      const r = await api.call("GET", route);
      assert.equal(r.status, 200, `${route}: ${r.text.slice(0, 200)}`);
    }
  };

  test("a URL the router cannot read (bad percent-encoding, an id of 5000 characters) is answered {error}", async () => {
    for (const token of [undefined, null]) {
      const bad = await api.call("GET", "/processes/%E0%A4%A", { token });
      assert.equal(bad.status, 400, bad.text);
      assert.deepEqual(Object.keys(bad.body as object), ["error"], bad.text);
      assert.match((bad.body as { error: string }).error, /not a valid url component/);
      const long = await api.call("GET", `/processes/${"x".repeat(5000)}`, { token });
      assert.equal(long.status, 414, long.text.slice(0, 200));
      assert.deepEqual(Object.keys(long.body as object), ["error"], long.text.slice(0, 200));
    }
    await stillServing();
  });

  test("a deeply nested telemetry report is refused (400), and GET /state, /processes still answer", async () => {
    const body = `{"sender":"a","memory":${nested(10_000)},"sent":"x","cwd":"/"}`;
    const r = await api.call("POST", "/telemetry", { rawBody: body });
    assert.equal(r.status, 400, r.text.slice(0, 200));
    assert.equal(typeof r.body.error, "string");
    await stillServing();
  });

  test("every JSON body has a nesting limit: a deep IPC eventData is 400", async () => {
    const body = `{"target":"a","event":"e","eventData":${nested(5000)}}`;
    const r = await api.call("POST", "/ipc", { rawBody: body });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /nest/);
    // Nesting inside a string is text, not structure.
    const quoted = JSON.stringify({ target: "a", event: "e", eventData: nested(5000) });
    assert.equal((await api.call("POST", "/ipc", { rawBody: quoted })).status, 200);
    const modest = { target: "a", event: "e", eventData: { list: [[1, { deep: [true] }]] } };
    assert.equal((await api.call("POST", "/ipc", { body: modest })).status, 200);
  });

  test("telemetry by schema: memory is four numbers; extra keys are small and shallow", async () => {
    assert.equal((await api.call("POST", "/telemetry", { body: report() })).status, 200);
    // process.memoryUsage() has arrayBuffers too: extra numbers in memory pass.
    const withBuffers = report({ memory: { ...memory, arrayBuffers: 5 } });
    assert.equal((await api.call("POST", "/telemetry", { body: withBuffers })).status, 200);
    const extra = report({ pid: 42, tags: ["a", "b"], labels: { zone: "x" } });
    assert.equal((await api.call("POST", "/telemetry", { body: extra })).status, 200);
    assert.deepEqual(api.status("a").telemetry, extra);

    const refused: Array<[string, unknown]> = [
      ["memory not an object", report({ memory: 5 })],
      ["memory without heapUsed", report({ memory: { rss: 1, heapTotal: 2, external: 4 } })],
      ["memory with a nested value", report({ memory: { ...memory, more: { x: 1 } } })],
      ["sent not a string", report({ sent: { at: 5 } })],
      ["cwd missing", { sender: "a", memory, sent: "x" }],
      ["an extra key nested three levels", report({ deep: { a: { b: 1 } } })],
      ["an extra string of 5000 characters", report({ note: "x".repeat(5000) })],
      ["too many extra keys", report(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])))],
    ];
    for (const [what, body] of refused) {
      const r = await api.call("POST", "/telemetry", { body });
      assert.equal(r.status, 400, `${what}: ${r.text}`);
    }
    await stillServing();
  });

  test("telemetry stored behind the API's back that cannot be rendered costs its entry only that field", async () => {
    // A plugin or a future path that bypasses validation: the routes must still answer.
    const circular: Telemetry = { ...report({ sender: "b" }) };
    circular.self = circular;
    api.instance.supervisor.setTelemetry(circular);
    await stillServing();
    const state = await api.call("GET", "/state");
    const b = state.body.data.processes.find((p: Json) => p.id === "b");
    assert.equal(b.telemetry, undefined);
    const list = await api.call("GET", "/processes");
    assert.deepEqual(
      list.body.data.map((e: Json) => e.status.id),
      ["a", "b"],
    );
    assert.ok(api.entries.some((e) => e.severity === "error" && /telemetry of b/.test(e.text)));
  });
});

describe("POST /log cannot forge log lines", () => {
  let api: ApiInstance;
  before(async () => {
    api = await ApiInstance.start({
      logger: { console: false, stdout: "pup.log" },
      processes: [{ id: "a", cmd: "sleep 1000" }],
    });
  });
  after(() => api.close());

  test("plugin is a name: 1–64 of a-z A-Z 0-9 @ . _ -", async () => {
    const log = (plugin: string) =>
      api.call("POST", "/log", { body: { severity: "info", plugin, message: "m" } });
    for (const plugin of ["p", "@scope.name_v-2", "x".repeat(64)]) {
      assert.equal((await log(plugin)).status, 201, plugin);
    }
    for (const plugin of ["", "x".repeat(65), "fake:stderr] [ERROR", "a\nb", "a\u001b[31m", "a b", "é"]) {
      const r = await log(plugin);
      assert.equal(r.status, 400, JSON.stringify(plugin));
      assert.match(r.body.error, /plugin/);
    }
  });

  test("a message with newlines and escape sequences is one inert line in the log file, kept whole in the store", async () => {
    const message = "done\n2026-01-01T00:00:00.000Z [ERROR] [a:stderr] \u001b[2Jdisk full\r";
    const r = await api.call("POST", "/log", { body: { severity: "info", plugin: "probe", message } });
    assert.equal(r.status, 201);
    const file = path.join(api.dir, "pup.log");
    const line = await waitFor(
      () =>
        readFileSync(file, "utf8")
          .split("\n")
          .find((l) => l.includes("[core:api-probe]")),
      "the entry in the log file",
    );
    assert.match(
      line,
      /\[core:api-probe\] done\\n2026-01-01T00:00:00\.000Z \[ERROR\] \[a:stderr\] \\x1b\[2Jdisk full\\r$/,
    );
    assert.ok(
      !readFileSync(file, "utf8")
        .split("\n")
        .some((l) => l.startsWith("2026-01-01")),
    );
    const stored = await api.call("GET", "/logs?processId=core&nRows=10");
    assert.ok(stored.body.data.some((e: Json) => e.text === message));
  });
});
