import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { formatStatus } from "../../src/cli/commands/control.ts";
import { freePorts } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";
import { ApiInstance, type Json } from "./api-instance.ts";

/** Health (SPEC §8.1) where users see it: the status, the event stream, /metrics and `pup status`. */

const SERVER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "core",
  "fixtures",
  "health-server.js",
);
let api: ApiInstance;
let port: number;

before(async () => {
  port = await freePorts(1);
  api = await ApiInstance.start({
    processes: [
      {
        id: "web",
        cmd: `node ${SERVER}`,
        env: { PORT_TO_USE: String(port) },
        healthcheck: { http: `http://127.0.0.1:${port}/`, intervalMs: 100, startPeriodMs: 5000 },
      },
      { id: "plain", cmd: "sleep 1000", autostart: true },
    ],
  });
});
after(() => api.close());

describe("health in the API", () => {
  test("the status, the event, the gauge and the status column follow the probes", async () => {
    const messages: Json[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/wss`, {
      headers: { authorization: `Bearer ${await api.token()}` },
    });
    ws.on("message", (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => ws.once("open", resolve));
    try {
      await api.call("POST", "/processes/web/start");
      await waitFor(
        async () => (await api.call("GET", "/processes/web")).body.data.status.health === "healthy",
        "healthy",
      );
      const changes = () => messages.filter((m) => m.t === "process_health_changed").map((m) => m.d);
      await waitFor(() => changes().some((d) => d.new === "healthy"), "the healthy event");
      assert.deepEqual(
        changes().map((d) => [d.id, d.old, d.new]),
        [
          ["web", null, "starting"],
          ["web", "starting", "healthy"],
        ],
      );
      const plain = (await api.call("GET", "/processes/plain")).body.data.status;
      assert.equal(plain.health, undefined, "no health without a healthcheck");

      const metrics = (await api.call("GET", "/metrics")).text;
      assert.match(metrics, /^pup_process_healthy\{process="web"\} 1$/m);
      assert.doesNotMatch(metrics, /pup_process_healthy\{process="plain"\}/);

      const state = (await api.call("GET", "/state")).body.data;
      const table = formatStatus({ state, configPath: "pup.json", url: api.base, colors: false });
      assert.match(table, /^web\s+process\s+RUNNING\s+healthy\s/m);
      assert.match(table, /^plain\s+process\s+RUNNING\s+-\s/m);
    } finally {
      ws.close();
    }
  });
});
