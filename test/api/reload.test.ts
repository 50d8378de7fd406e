import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { waitFor } from "../helpers/wait.ts";
import { ApiInstance } from "./api-instance.ts";

/** POST /reload (SPEC §8.6): the difference applied, an invalid file refused, revocations at once. */

let api: ApiInstance;
const config = (extra: object) => ({
  logger: { console: false },
  processes: [{ id: "a", cmd: "sleep 1000", autostart: true }],
  ...extra,
});
const write = (value: object | string) =>
  writeFileSync(path.join(api.dir, "pup.json"), typeof value === "string" ? value : JSON.stringify(value));

before(async () => {
  api = await ApiInstance.start(config({}));
  await api.waitStatus("a", 200);
});
after(() => api.close());

describe("POST /reload", () => {
  test("an invalid file is a 400 with the reason, and changes nothing", async () => {
    write(`{ "processes": [{ "id": "a", "cmd": "sleep 1000", "autostart": "yes" }] }`);
    const r = await api.call("POST", "/reload");
    assert.equal(r.status, 400);
    assert.match(r.body.error, /pup\.json: processes\[0\]\.autostart: /);
    assert.equal(api.status("a").status, 200);
  });

  test("a file that is gone is a 400 with the reason, and changes nothing", async () => {
    const file = path.join(api.dir, "pup.json");
    renameSync(file, `${file}.away`);
    try {
      const r = await api.call("POST", "/reload");
      assert.equal(r.status, 400);
      assert.match(r.body.error, /pup\.json: cannot read: ENOENT$/);
      assert.equal(api.status("a").status, 200);
    } finally {
      renameSync(`${file}.away`, file);
    }
  });

  test("a dry run reports the difference and applies nothing; the real one applies it", async () => {
    write(
      config({
        processes: [
          { id: "a", cmd: "sleep 1000", autostart: true },
          { id: "b", cmd: "sleep 1001", autostart: true },
        ],
      }),
    );
    const dry = await api.call("POST", "/reload?dryRun=true");
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual(dry.body.data, {
      added: ["b"],
      removed: [],
      changed: [],
      unchanged: ["a"],
      notApplied: [],
    });
    assert.equal((await api.call("GET", "/processes/b")).status, 404);
    const pid = api.status("a").pid;
    const events: Array<{ t: string; d: unknown }> = [];
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/wss`, {
      headers: { authorization: `Bearer ${await api.token()}` },
    });
    ws.on("message", (m) => events.push(JSON.parse(String(m))));
    await new Promise((resolve) => ws.once("open", resolve));
    const real = await api.call("POST", "/reload");
    assert.deepEqual(real.body.data, dry.body.data);
    await waitFor(() => events.some((e) => e.t === "config_reloaded"), "the event");
    assert.deepEqual(events.find((e) => e.t === "config_reloaded")!.d, dry.body.data);
    ws.close();
    await api.waitStatus("b", 200);
    assert.equal(api.status("a").pid, pid);
    assert.equal(
      (await api.call("POST", "/reload", { token: await api.token({ scopes: ["read"] }) })).status,
      403,
    );
  });

  test("a consumer revoked by the reload is refused, and its open event stream is closed", async () => {
    const token = await api.token({ consumer: "eve" });
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/wss`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    await new Promise((resolve) => ws.once("open", resolve));
    write(
      config({
        api: { revoked: ["eve"] },
        processes: [
          { id: "a", cmd: "sleep 1000", autostart: true },
          { id: "b", cmd: "sleep 1001", autostart: true },
        ],
      }),
    );
    const r = await api.call("POST", "/reload");
    assert.equal(r.status, 200, r.text);
    assert.equal(await closed, 4401);
    const refused = await api.call("GET", "/state", { token });
    assert.deepEqual([refused.status, refused.body.error], [401, "Revoked token"]);
    await waitFor(async () => (await api.call("GET", "/state")).status === 200, "others still served");
  });

  test("logging settings apply at once: a log file named by the reload gets the entries that follow", async () => {
    const file = path.join(api.dir, "all.log");
    write(
      config({
        logger: { console: false, stdout: "all.log", decorateFiles: false },
        processes: [
          { id: "a", cmd: "sleep 1000", autostart: true },
          { id: "b", cmd: "sleep 1001", autostart: true },
        ],
      }),
    );
    const pid = api.status("a").pid;
    assert.equal((await api.call("POST", "/reload")).status, 200);
    await api.call("POST", "/log", {
      body: { severity: "info", plugin: "test", message: "after the reload" },
    });
    await waitFor(
      () => existsSync(file) && readFileSync(file, "utf8").includes("after the reload"),
      "the line in the file",
    );
    assert.equal(api.status("a").pid, pid, "no process touched");
  });
});
