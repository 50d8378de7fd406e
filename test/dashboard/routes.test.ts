import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import Fastify from "fastify";
import { dashboardRoutes } from "../../src/dashboard/routes.ts";
import { ApiInstance } from "../api/api-instance.ts";

// The built page (npm run build) as the instance serves it.
test("the dashboard's files: built assets, gzip when asked, a policy that allows no other host", async () => {
  const app = Fastify();
  await app.register(dashboardRoutes);
  try {
    const page = await app.inject({ url: "/dashboard/" });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<script src="app\.js" type="module">/);
    const policy = String(page.headers["content-security-policy"]);
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /connect-src 'self'/);
    const plain = await app.inject({ url: "/dashboard/app.js" });
    const zipped = await app.inject({ url: "/dashboard/app.js", headers: { "accept-encoding": "gzip, br" } });
    assert.equal(zipped.headers["content-encoding"], "gzip");
    assert.ok(gunzipSync(zipped.rawPayload).equals(plain.rawPayload));
    assert.equal((await app.inject({ url: "/dashboard/app.css" })).statusCode, 200);
    assert.equal((await app.inject({ url: "/dashboard/routes.js" })).statusCode, 404);
    assert.equal((await app.inject({ url: "/dashboard/constructor" })).statusCode, 404);
  } finally {
    await app.close();
  }
});

describe("the dashboard's files, served without a token", () => {
  let api: ApiInstance;
  before(async () => {
    api = await ApiInstance.start({ processes: [{ id: "p", cmd: "sleep 1000" }] });
  });
  after(() => api.close());

  test("its three files are served; any other name is 404, including the names of an object's prototype", async () => {
    for (const file of ["", "app.js", "app.css"]) {
      const r = await api.call("GET", `/dashboard/${file}`, { token: null });
      assert.equal(r.status, 200, file);
    }
    for (const file of [
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "secret.txt",
      "..%2Fpup.json",
    ]) {
      const r = await api.call("GET", `/dashboard/${file}`, { token: null });
      assert.equal(r.status, 404, `${file}: ${r.text}`);
      // Nothing about the install (a 500 named the file it tried to read).
      assert.deepEqual(r.body, { error: "not found" });
    }
  });
});
