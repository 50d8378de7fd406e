import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import Fastify from "fastify";
import { dashboardRoutes } from "../../src/dashboard/routes.ts";

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
