/**
 * Written only from the user's reference/rest-api.md: a token from `pup token --consumer`, the
 * base URL http://hostname:port, `Authorization: Bearer <token>` and `/api/processes`.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { freePorts } from "../helpers/ports.ts";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

const { dir: root, cleanup } = tempDir("pup-third-party-");
let instance: PupProcess | undefined;
after(async () => {
  await instance?.kill();
  cleanup();
});

test("the reference's JavaScript example works against a running pup", async () => {
  const dir = path.join(root, "app");
  mkdirSync(dir);
  const port = await freePorts(1);
  const file = writeJson(path.join(dir, "pup.json"), {
    api: { port },
    processes: [{ id: "worker-1", cmd: "sleep 1000", autostart: true }],
  });
  instance = new PupProcess(["run"], { cwd: dir });
  await instance.waitForOutput("[worker-1:starting]");

  const issued = await runPup(["token", "--consumer", "my-integration", "--expire-in", "300"], { cwd: dir });
  assert.equal(issued.code, 0, issued.stderr);
  const yourJwtToken = issued.stdout.trim();

  const hostname = "127.0.0.1";
  const base = `http://${hostname}:${port}`;
  const response = await waitFor(async () => {
    try {
      return await fetch(`${base}/api/processes`, {
        headers: {
          Authorization: `Bearer ${yourJwtToken}`,
        },
      });
    } catch {
      return undefined;
    }
  }, "the API to answer");
  const responseData = (await response.json()) as { data: Array<{ status: { id: string } }> };
  assert.equal(response.status, 200);
  assert.ok(Array.isArray(responseData.data));
  assert.equal(responseData.data[0].status.id, "worker-1");

  // The documented endpoints, at the base URL as the reference describes them.
  const auth = { Authorization: `Bearer ${yourJwtToken}` };
  assert.equal((await fetch(`${base}/processes`, { headers: auth })).status, 200);
  assert.equal((await fetch(`${base}/state`, { headers: auth })).status, 200);
  assert.equal((await fetch(`${base}/logs`, { headers: auth })).status, 200);
  const stop = await fetch(`${base}/processes/worker-1/stop`, { method: "POST", headers: auth });
  assert.equal(stop.status, 200);
  // Error handling as documented: 401 without a valid JWT, 400 for invalid input.
  assert.equal((await fetch(`${base}/api/processes`)).status, 401);
  assert.equal(
    (await fetch(`${base}/api/processes`, { headers: { Authorization: "Bearer your_jwt_token" } })).status,
    401,
  );
  const badLog = await fetch(`${base}/log`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ message: "no severity" }),
  });
  assert.equal(badLog.status, 400);
  const terminate = await fetch(`${base}/terminate`, { method: "POST", headers: auth });
  assert.equal(terminate.status, 200);
  assert.equal((await instance.exited).code, 0);
  assert.ok(file);
});
