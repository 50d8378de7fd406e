import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { jwtVerify } from "jose";
import { runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";

const { dir: root, cleanup } = tempDir("pup-cli-token-");
after(cleanup);

let n = 0;
function project(): { dir: string; file: string; secretFile: string } {
  const dir = path.join(root, `p${++n}`);
  mkdirSync(dir, { recursive: true });
  const file = writeJson(path.join(dir, "pup.json"), { processes: [{ id: "a", cmd: "sleep 1" }] });
  return { dir, file, secretFile: path.join(dir, ".pup", "pup.json-data", ".main.secret") };
}

function assertRefused(r: { code: number | null; stdout: string; stderr: string }, message: RegExp) {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, message);
}

describe("pup token", () => {
  test("creates the secret on first use (0600) and prints the JWT alone on one line", async () => {
    const { file, secretFile } = project();
    assert.ok(!existsSync(secretFile));
    const before = Math.floor(Date.now() / 1000);
    const r = await runPup(["token", "--consumer", "dashboard", "--expire-in", "600", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    assert.equal(r.stderr, "");
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    const secret = readFileSync(secretFile, "utf8");
    const { payload, protectedHeader } = await jwtVerify(r.stdout.trim(), new TextEncoder().encode(secret));
    assert.equal(protectedHeader.alg, "HS512");
    assert.deepEqual(payload.data, { consumer: "dashboard" });
    assert.ok(payload.exp! >= before + 600 && payload.exp! <= before + 602);

    // The secret is created once: a second token is signed with the same one.
    const again = await runPup([
      "token",
      "--consumer",
      "x",
      "--expire-in",
      "5",
      "--scope",
      "read, control",
      "--cwd",
      path.dirname(file),
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(secretFile, "utf8"), secret);
    const second = await jwtVerify(again.stdout.trim(), new TextEncoder().encode(secret));
    assert.deepEqual(second.payload.data, { consumer: "x", scopes: ["read", "control"] });
  });

  test("without --expire-in the token still expires; the note goes to stderr", async () => {
    const { file } = project();
    const r = await runPup(["token", "--consumer", "c", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    assert.match(r.stderr, /expires in 30 days/);
    const payload = JSON.parse(Buffer.from(r.stdout.split(".")[1], "base64url").toString());
    assert.ok(payload.exp > Date.now() / 1000 + 29 * 86400);
  });

  test("clear one-line errors: no consumer, a non-positive or unparsable expiry, an unknown scope", async () => {
    const { file, secretFile } = project();
    assertRefused(
      await runPup(["token", "--expire-in", "60", "--config", file]),
      /--consumer NAME is required/,
    );
    assertRefused(
      await runPup(["token", "--consumer", " ", "--config", file]),
      /--consumer NAME is required/,
    );
    for (const bad of ["0", "-5", "abc", "1e3x", ""]) {
      assertRefused(
        await runPup(["token", "--consumer", "c", "--expire-in", bad, "--config", file]),
        /--expire-in: expected a positive number of seconds/,
      );
    }
    assertRefused(
      await runPup([
        "token",
        "--consumer",
        "c",
        "--expire-in",
        "60",
        "--scope",
        "read,admin",
        "--config",
        file,
      ]),
      /unknown scope "admin" \(choose from read, control, terminate, log, telemetry\)/,
    );
    assertRefused(
      await runPup(["token", "--consumer", "c", "--expire-in", "60", "--scope", ",", "--config", file]),
      /--scope: no scope given/,
    );
    assert.ok(!existsSync(secretFile), "nothing is created for a refused request");
    assertRefused(
      await runPup(["token", "--consumer", "c", "--config", path.join(root, "missing.json")]),
      /configuration file not found/,
    );
  });

  test("an empty secret file (a full disk, a hand edit) is replaced; an unreadable one is one line", async () => {
    const { file, secretFile } = project();
    mkdirSync(path.dirname(secretFile), { recursive: true });
    writeFileSync(secretFile, "");
    const r = await runPup(["token", "--consumer", "me", "--expire-in", "60", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    const secret = readFileSync(secretFile, "utf8");
    assert.ok(secret.length > 0, "a new secret");
    await jwtVerify(r.stdout.trim(), new TextEncoder().encode(secret));

    const blocked = project();
    writeFileSync(path.join(blocked.dir, ".pup"), "a file where the folder goes");
    assertRefused(
      await runPup(["token", "--consumer", "me", "--expire-in", "60", "--config", blocked.file]),
      /^pup: cannot read the API secret .*\.main\.secret \(ENOTDIR\)$/m,
    );
    assertRefused(await runPup(["status", "--config", blocked.file]), /^pup: /);
  });
});
