import assert from "node:assert/strict";
import dns from "node:dns/promises";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, test } from "node:test";
import WebSocket from "ws";
import { waitFor } from "../helpers/wait.ts";
import { ApiInstance, type Json } from "./api-instance.ts";

describe("the REST API loads its HTTP stack with the first connection", () => {
  test("started: port bound, port file and child variables there, nothing loaded; then every waiting request is answered", async () => {
    const api = await ApiInstance.start({
      processes: [
        {
          id: "env",
          cmd: `node -e "require('fs').writeFileSync('env.json', JSON.stringify(process.env))"`,
          autostart: true,
          restart: "error",
        },
      ],
    });
    try {
      assert.equal(api.service.loaded, false);
      const envFile = path.join(api.dir, "env.json");
      await waitFor(() => existsSync(envFile) && readFileSync(envFile, "utf8").length > 0, "the child's env");
      const env = JSON.parse(readFileSync(envFile, "utf8"));
      assert.equal(env.PUP_API_PORT, String(api.port));
      assert.ok(env.PUP_API_TOKEN);
      assert.equal(api.service.loaded, false, "a child's start loads nothing");

      const token = await api.token();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => api.call("GET", "/processes", { token })),
      );
      assert.deepEqual(
        answers.map((r) => r.status),
        [200, 200, 200, 200, 200],
      );
      assert.equal(api.service.loaded, true);
      // The child's token is accepted for what a child may do.
      const log = { severity: "info", plugin: "env", message: "from the child's token" };
      assert.equal((await api.call("POST", "/log", { token: env.PUP_API_TOKEN, body: log })).status, 201);
    } finally {
      await api.close();
    }
  });

  test("a WebSocket as the very first connection is upgraded once the app is ready", async () => {
    const api = await ApiInstance.start({ processes: [{ id: "p", cmd: "sleep 1000" }] });
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/wss?access_token=${await api.token()}`);
    try {
      assert.equal(api.service.loaded, false);
      const init = await new Promise<Json>((resolve, reject) => {
        ws.once("message", (data) => resolve(JSON.parse(String(data))));
        ws.once("error", reject);
      });
      assert.equal(init.t, "init");
      assert.equal(init.d.processes[0].id, "p");
    } finally {
      ws.terminate();
      await api.close();
    }
  });

  test("an instance nobody asked stops without loading it; one stopped while loading stops cleanly", async () => {
    const quiet = await ApiInstance.start({ processes: [{ id: "p", cmd: "sleep 1000", autostart: true }] });
    await quiet.close();
    assert.equal(quiet.service.loaded, false);
    assert.equal(existsSync(quiet.instance.paths.portFile), false);

    const busy = await ApiInstance.start({ processes: [{ id: "p", cmd: "sleep 1000", autostart: true }] });
    const socket = net.connect(busy.port, "127.0.0.1");
    const ended = new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (d) => (text += d));
      socket.on("error", () => {});
      socket.on("close", () => resolve(text));
    });
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`GET /processes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await busy.token()}\r\n\r\n`);
    // The connection is accepted and waits for the app, which is loading: stop now.
    await busy.close();
    assert.equal(existsSync(busy.instance.paths.portFile), false);
    // Answered if the app became ready first, dropped otherwise: never left open.
    const text = await ended;
    assert.ok(text === "" || /^HTTP\/1.1 (200|503)/.test(text), text);
  });

  test("api.hostname localhost listens on every address localhost names, on one port", async () => {
    const api = await ApiInstance.start({
      api: { hostname: "localhost" },
      processes: [{ id: "p", cmd: "sleep 1000" }],
    });
    try {
      const addresses = [...new Set((await dns.lookup("localhost", { all: true })).map((a) => a.address))];
      for (const address of addresses) {
        const host = address.includes(":") ? `[${address}]` : address;
        const r = await fetch(`http://${host}:${api.port}/openapi.json`);
        assert.equal(r.status, 200, address);
        await r.arrayBuffer();
      }
    } finally {
      await api.close();
    }
  });
});
