import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { signToken } from "../../src/api/sign.ts";
import { TokenError, TokenVerifier } from "../../src/api/tokens.ts";
import { sleep } from "../helpers/wait.ts";

const SECRET = "a-secret-for-tests";

describe("TokenVerifier: verified tokens are remembered until their exp", () => {
  test("a token is verified once, then remembered with its caller", async () => {
    const verifier = new TokenVerifier(SECRET);
    const token = await signToken(SECRET, { consumer: "ci", expiresIn: 60, scopes: ["read"] });
    const { exp } = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    assert.equal(verifier.remembered(token), undefined);
    const caller = { consumer: "ci", scopes: ["read"], expiresAtMs: exp * 1000 };
    assert.deepEqual(await verifier.verify(token), caller);
    assert.deepEqual(verifier.remembered(token), caller);
  });

  test("a token signed with another secret is refused, and not remembered", async () => {
    const verifier = new TokenVerifier(SECRET);
    const token = await signToken("another secret", { consumer: "ci", expiresIn: 60 });
    await assert.rejects(verifier.verify(token), TokenError);
    assert.equal(verifier.remembered(token), undefined);
  });

  test("a remembered token is refused once its exp has passed", async () => {
    const verifier = new TokenVerifier(SECRET);
    const token = await signToken(SECRET, { consumer: "ci", expiresIn: 3 });
    const { exp } = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    await verifier.verify(token);
    assert.ok(verifier.remembered(token));
    await sleep(exp * 1000 - Date.now() + 20);
    assert.equal(verifier.remembered(token), undefined);
    await assert.rejects(verifier.verify(token), /Token expired/);
  });

  test("revocation applies at once, to remembered tokens too", async () => {
    const verifier = new TokenVerifier(SECRET, ["eve"]);
    const token = await signToken(SECRET, { consumer: "mallory", expiresIn: 60 });
    await verifier.verify(token);
    verifier.setRevoked(["eve", "mallory"]);
    assert.throws(() => verifier.remembered(token), /Revoked token/);
    await assert.rejects(verifier.verify(token), /Revoked token/);
    verifier.setRevoked([]);
    assert.ok(verifier.remembered(token));
  });

  test("a token that names an instance run is valid in that run only", async () => {
    const child = signToken(SECRET, { consumer: "telemetry-a", expiresIn: 3600, run: "run-1" });
    assert.equal((await new TokenVerifier(SECRET, [], "run-1").verify(child)).consumer, "telemetry-a");
    await assert.rejects(new TokenVerifier(SECRET, [], "run-2").verify(child), /earlier run/);
    await assert.rejects(new TokenVerifier(SECRET).verify(child), /earlier run/);
    // Tokens without a run (pup token, plugins, hand-signed) are not tied to one.
    const plain = signToken(SECRET, { consumer: "telemetry-a", expiresIn: 3600 });
    assert.equal((await new TokenVerifier(SECRET, [], "run-2").verify(plain)).consumer, "telemetry-a");
  });
});
