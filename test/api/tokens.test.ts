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
    assert.equal(verifier.remembered(token), undefined);
    assert.deepEqual(await verifier.verify(token), { consumer: "ci", scopes: ["read"] });
    assert.deepEqual(verifier.remembered(token), { consumer: "ci", scopes: ["read"] });
  });

  test("a token signed with another secret is refused, and not remembered", async () => {
    const verifier = new TokenVerifier(SECRET);
    const token = await signToken("another secret", { consumer: "ci", expiresIn: 60 });
    await assert.rejects(verifier.verify(token), TokenError);
    assert.equal(verifier.remembered(token), undefined);
  });

  test("a remembered token is refused once its exp has passed", async () => {
    const verifier = new TokenVerifier(SECRET);
    const token = await signToken(SECRET, { consumer: "ci", expiresIn: 1 });
    const { exp } = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    await verifier.verify(token);
    assert.ok(verifier.remembered(token));
    await sleep(exp * 1000 - Date.now() + 20);
    assert.equal(verifier.remembered(token), undefined);
    await assert.rejects(verifier.verify(token), /Token expired/);
  });

  test("revocation applies at once, to remembered tokens too", async () => {
    const revoked: string[] = [];
    const verifier = new TokenVerifier(SECRET, revoked);
    const token = await signToken(SECRET, { consumer: "mallory", expiresIn: 60 });
    await verifier.verify(token);
    revoked.push("mallory");
    assert.throws(() => verifier.remembered(token), /Revoked token/);
    await assert.rejects(verifier.verify(token), /Revoked token/);
  });
});
