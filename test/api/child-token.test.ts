import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { sleep, waitFor } from "../helpers/wait.ts";
import { ApiInstance, type Json } from "./api-instance.ts";

const memory = { rss: 1, heapTotal: 2, heapUsed: 3, external: 4 };

/** The environment a child wrote to `<id>.env.json` in the instance's folder. */
async function childEnv(api: ApiInstance, id: string): Promise<Record<string, string>> {
  return waitFor(() => {
    try {
      return JSON.parse(readFileSync(path.join(api.dir, `${id}.env.json`), "utf8"));
    } catch {
      return undefined;
    }
  }, `${id}'s environment`);
}

describe("a child's own token (SPEC §2.3): its own telemetry, logs, IPC, and IPC addressed to it", () => {
  let api: ApiInstance;
  let token: string;
  before(async () => {
    const dump = (id: string) =>
      `node -e "require('fs').writeFileSync('${id}.env.json', JSON.stringify(process.env)); setInterval(() => {}, 1000)"`;
    api = await ApiInstance.start({
      processes: [
        // The secret another process keeps in its configuration.
        { id: "db", cmd: "sleep 1000", env: { DB_PASSWORD: "hunter2" } },
        { id: "app", cmd: dump("app"), autostart: true },
      ],
    });
    token = (await childEnv(api, "app")).PUP_API_TOKEN;
  });
  after(() => api.close());

  test("reads nothing: configurations (with their env), state, logs, metrics are 403", async () => {
    for (const route of ["/processes", "/processes/db", "/state", "/logs", "/metrics"]) {
      const r = await api.call("GET", route, { token });
      assert.equal(r.status, 403, `${route}: ${r.text}`);
      assert.doesNotMatch(r.text, /hunter2/);
    }
    for (const action of ["start", "stop", "restart", "block", "unblock"]) {
      assert.equal((await api.call("POST", `/processes/db/${action}`, { token })).status, 403, action);
    }
    assert.equal((await api.call("POST", "/terminate", { token })).status, 403);
  });

  test("reports telemetry for its own process only: 403 for another sender", async () => {
    const own = { sender: "app", memory, sent: new Date().toISOString(), cwd: "/" };
    assert.equal((await api.call("POST", "/telemetry", { token, body: own })).status, 200);
    assert.deepEqual(api.status("app").telemetry, own);
    const forged = await api.call("POST", "/telemetry", { token, body: { ...own, sender: "db" } });
    assert.equal(forged.status, 403);
    assert.match(forged.body.error, /"app" only/);
    assert.equal(api.status("db").telemetry, undefined);
    // Any other token with the telemetry scope may report for any process.
    const operator = await api.token({ scopes: ["telemetry"] });
    const r = await api.call("POST", "/telemetry", { token: operator, body: { ...own, sender: "db" } });
    assert.equal(r.status, 200);
  });

  test("writes log entries and sends IPC", async () => {
    const log = { severity: "info", plugin: "app", message: "from the child" };
    assert.equal((await api.call("POST", "/log", { token, body: log })).status, 201);
    const ipc = { target: "db", event: "hello", eventData: { n: 1 } };
    assert.equal((await api.call("POST", "/ipc", { token, body: ipc })).status, 200);
  });

  test("its event stream carries only the IPC events addressed to it or to everyone", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/wss?access_token=${token}`);
    const received: Json[] = [];
    ws.on("message", (data) => received.push(JSON.parse(String(data))));
    try {
      await new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      });
      const send = (target: string, n: number) =>
        api.call("POST", "/ipc", { body: { target, event: "e", eventData: { n } } });
      await send("db", 1);
      await send("app", 2);
      await send("*", 3);
      await api.call("POST", "/processes/db/start");
      await api.call("POST", "/log", {
        body: { severity: "info", plugin: "t", message: "not for children" },
      });
      await waitFor(() => received.some((m) => m.d.eventData.n === 3), "the broadcast IPC event");
      // Whatever else was going to arrive has had time to.
      await sleep(1500);
      assert.deepEqual(
        received.map((m) => [m.t, m.d.target, m.d.eventData.n]),
        [
          ["ipc", "app", 2],
          ["ipc", "*", 3],
        ],
      );
    } finally {
      ws.terminate();
    }
  });
});
