import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { SignJWT, UnsecuredJWT } from "jose";
import { ProcessState } from "../../src/core/states.ts";
import { waitFor } from "../helpers/wait.ts";
import { ApiInstance } from "./api-instance.ts";

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** A JWT assembled by hand: any header, any payload, HMAC with any algorithm and key. */
function handmade(header: object, payload: object, key: string, hash = "sha512"): string {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${signingInput}.${createHmac(hash, key).update(signingInput).digest("base64url")}`;
}
const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

describe("API authentication and scopes (SPEC §5.1)", () => {
  let api: ApiInstance;
  before(async () => {
    api = await ApiInstance.start({
      api: { revoked: ["mallory"] },
      processes: [
        {
          id: "envdump",
          cmd: `node -e "require('fs').writeFileSync('env.json', JSON.stringify(process.env))"`,
          autostart: true,
          restart: "error",
        },
        { id: "idle", cmd: "sleep 1000" },
      ],
    });
  });
  after(() => api.close());

  test("the secret file: 64 random bytes as base64 text, no newline, mode 0600", () => {
    const file = api.instance.paths.secretFile;
    const text = readFileSync(file, "utf8");
    assert.match(text, /^[A-Za-z0-9+/]{86}==$/);
    assert.equal(Buffer.from(text, "base64").length, 64);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test("a token signed by hand with HS512 and the secret's UTF-8 text as key is accepted", async () => {
    const token = handmade(
      { alg: "HS512", typ: "JWT" },
      { data: { consumer: "pup-tooling" }, exp: inAMinute() },
      api.secret,
    );
    const r = await api.call("GET", "/processes", { token });
    assert.equal(r.status, 200, r.text);
  });

  const refused: Array<[string, () => Promise<{ token?: string | null; headers?: Record<string, string> }>]> =
    [
      ["no Authorization header", async () => ({ token: null })],
      ["not Bearer", async () => ({ token: null, headers: { authorization: `Basic ${b64url("a:b")}` } })],
      ["Bearer without a token", async () => ({ token: null, headers: { authorization: "Bearer" } })],
      ["malformed token", async () => ({ token: "not.a.jwt" })],
      ["garbage", async () => ({ token: "x" })],
      [
        "alg none",
        async () => ({
          token: new UnsecuredJWT({ data: { consumer: "eve" } }).setExpirationTime("1m").encode(),
        }),
      ],
      [
        "alg none with a signature",
        async () => ({
          token: `${b64url(JSON.stringify({ alg: "none" }))}.${b64url(JSON.stringify({ data: { consumer: "eve" }, exp: inAMinute() }))}.${b64url("sig")}`,
        }),
      ],
      [
        "HS256 signed with the right secret",
        async () => ({
          token: handmade(
            { alg: "HS256" },
            { data: { consumer: "eve" }, exp: inAMinute() },
            api.secret,
            "sha256",
          ),
        }),
      ],
      [
        "HS512 with the wrong secret",
        async () => ({
          token: handmade(
            { alg: "HS512" },
            { data: { consumer: "eve" }, exp: inAMinute() },
            `${api.secret}x`,
          ),
        }),
      ],
      [
        "a tampered payload",
        async () => {
          const [h, , s] = (await api.token({ consumer: "reader", scopes: ["read"] })).split(".");
          return {
            token: `${h}.${b64url(JSON.stringify({ data: { consumer: "reader" }, exp: inAMinute() }))}.${s}`,
          };
        },
      ],
      [
        "expired",
        async () => ({
          token: handmade(
            { alg: "HS512" },
            { data: { consumer: "late" }, exp: Math.floor(Date.now() / 1000) - 5 },
            api.secret,
          ),
        }),
      ],
      [
        "no exp",
        async () => ({ token: handmade({ alg: "HS512" }, { data: { consumer: "forever" } }, api.secret) }),
      ],
      [
        "no consumer",
        async () => ({ token: handmade({ alg: "HS512" }, { data: {}, exp: inAMinute() }, api.secret) }),
      ],
      ["no data", async () => ({ token: handmade({ alg: "HS512" }, { exp: inAMinute() }, api.secret) })],
      [
        "an empty consumer",
        async () => ({
          token: handmade({ alg: "HS512" }, { data: { consumer: "" }, exp: inAMinute() }, api.secret),
        }),
      ],
      [
        "scopes that are not a list",
        async () => ({
          token: handmade(
            { alg: "HS512" },
            { data: { consumer: "x", scopes: "read" }, exp: inAMinute() },
            api.secret,
          ),
        }),
      ],
    ];
  for (const [name, make] of refused) {
    test(`401 for ${name}`, async () => {
      const r = await api.call("GET", "/processes", await make());
      assert.equal(r.status, 401, r.text);
      assert.equal(typeof r.body.error, "string");
      assert.ok(r.body.error.length > 0);
    });
  }

  test("401 `Revoked token` for a consumer listed in api.revoked", async () => {
    const r = await api.call("GET", "/state", { token: await api.token({ consumer: "mallory" }) });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: "Revoked token" });
    // jose-signed with every claim right: the revocation is what refuses it.
    const direct = await new SignJWT({ data: { consumer: "mallory", scopes: ["read"] } })
      .setProtectedHeader({ alg: "HS512" })
      .setExpirationTime("1m")
      .sign(new TextEncoder().encode(api.secret));
    assert.equal((await api.call("GET", "/processes", { token: direct })).status, 401);
  });

  // Each route and the scope it needs; every other scope is refused with 403.
  const routes: Array<{ method: string; route: string; scope: string; body?: unknown }> = [
    { method: "GET", route: "/processes", scope: "read" },
    { method: "GET", route: "/processes/idle", scope: "read" },
    { method: "GET", route: "/state", scope: "read" },
    { method: "GET", route: "/logs", scope: "read" },
    { method: "GET", route: "/metrics", scope: "read" },
    { method: "POST", route: "/processes/idle/block", scope: "control" },
    { method: "POST", route: "/processes/idle/unblock", scope: "control" },
    { method: "POST", route: "/processes/idle/stop", scope: "control" },
    { method: "POST", route: "/log", scope: "log", body: { severity: "info", plugin: "t", message: "m" } },
    {
      method: "POST",
      route: "/telemetry",
      scope: "telemetry",
      body: {
        sender: "idle",
        memory: { rss: 1, heapTotal: 1, heapUsed: 1, external: 1 },
        sent: new Date().toISOString(),
        cwd: "/",
      },
    },
    { method: "POST", route: "/ipc", scope: "telemetry", body: { target: "idle", event: "e", eventData: 1 } },
  ];
  const ALL = ["read", "control", "terminate", "log", "telemetry"];
  for (const { method, route, scope, body } of routes) {
    test(`${method} ${route} needs scope ${scope}: 403 without it, 2xx with it`, async () => {
      const others = ALL.filter((s) => s !== scope);
      const denied = await api.call(method, route, {
        token: await api.token({ scopes: others as never }),
        body,
      });
      assert.equal(denied.status, 403, denied.text);
      assert.match(denied.body.error, new RegExp(`"${scope}"`));
      const allowed = await api.call(method, route, {
        token: await api.token({ scopes: [scope as never] }),
        body,
      });
      assert.ok(allowed.status >= 200 && allowed.status < 300, `${allowed.status} ${allowed.text}`);
      const unscoped = await api.call(method, route, { token: await api.token(), body });
      assert.ok(unscoped.status >= 200 && unscoped.status < 300, "a token without scopes has all");
    });
  }

  test("POST /terminate needs scope terminate (refused with every other scope)", async () => {
    const denied = await api.call("POST", "/terminate", {
      token: await api.token({ scopes: ["read", "control", "log", "telemetry"] }),
    });
    assert.equal(denied.status, 403);
    assert.equal(api.status("idle").status, ProcessState.CREATED, "nothing happened");
  });

  test("an empty scopes list allows nothing", async () => {
    const r = await api.call("GET", "/processes", { token: await api.token({ scopes: [] }) });
    assert.equal(r.status, 403);
  });

  test("GET /openapi.json needs no token; /api/… needs one like the root", async () => {
    assert.equal((await api.call("GET", "/openapi.json", { token: null })).status, 200);
    assert.equal((await api.call("GET", "/api/openapi.json", { token: null })).status, 200);
    assert.equal((await api.call("GET", "/api/processes", { token: null })).status, 401);
    assert.equal(
      (await api.call("GET", "/api/processes", { token: await api.token({ scopes: ["log"] }) })).status,
      403,
    );
  });

  test("children get PUP_API_HOSTNAME, PUP_API_PORT and a telemetry-<id> token with telemetry and log only", async () => {
    const file = `${api.dir}/env.json`;
    const env = await waitFor(() => {
      try {
        return JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
      } catch {
        return undefined;
      }
    }, "the child to dump its environment");
    assert.equal(env.PUP_API_HOSTNAME, "127.0.0.1");
    assert.equal(env.PUP_API_PORT, String(api.port));
    const [, payload] = env.PUP_API_TOKEN.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    assert.equal(claims.data.consumer, "telemetry-envdump");
    assert.deepEqual([...claims.data.scopes].sort(), ["log", "telemetry"]);
    assert.ok(claims.exp > Date.now() / 1000);
    const token = env.PUP_API_TOKEN;
    assert.equal((await api.call("GET", "/processes", { token })).status, 403);
    const body = { target: "idle", event: "hello", eventData: null };
    assert.equal((await api.call("POST", "/ipc", { token, body })).status, 200);
    assert.equal((await api.call("POST", "/processes/idle/start", { token })).status, 403);
    assert.equal((await api.call("POST", "/terminate", { token })).status, 403);
  });
});
