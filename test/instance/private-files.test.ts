import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { ApiInstance } from "../api/api-instance.ts";

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe("pup's own files are for their owner only: .pup/ 0700, the API secret 0600", () => {
  test("created so, whatever the umask", async () => {
    const umask = process.umask(0);
    const api = new ApiInstance({ processes: [{ id: "p", cmd: "sleep 1000" }] });
    try {
      await api.instance.start();
      const { pupDir, dataDir, tempDir, secretFile } = api.instance.paths;
      assert.deepEqual([pupDir, dataDir, tempDir].map(modeOf), ["700", "700", "700"]);
      assert.equal(modeOf(secretFile), "600");
    } finally {
      process.umask(umask);
      await api.close();
    }
  });

  test("left open by an earlier version or by hand: made private at the start, with a warning", async () => {
    const api = new ApiInstance({ processes: [{ id: "p", cmd: "sleep 1000" }] });
    try {
      const { pupDir, dataDir, tempDir, secretFile } = api.instance.paths;
      mkdirSync(dataDir, { recursive: true });
      mkdirSync(tempDir, { recursive: true });
      writeFileSync(secretFile, "a".repeat(88));
      for (const dir of [pupDir, dataDir, tempDir]) chmodSync(dir, 0o755);
      chmodSync(secretFile, 0o644);
      await api.instance.start();
      assert.deepEqual([pupDir, dataDir, tempDir].map(modeOf), ["700", "700", "700"]);
      assert.equal(modeOf(secretFile), "600");
      // The same secret: tokens signed with it still verify.
      assert.equal(readFileSync(secretFile, "utf8"), "a".repeat(88));
      const warnings = api.entries.filter((e) => e.severity === "warn").map((e) => e.text);
      assert.ok(
        warnings.some((w) => w.includes(`${pupDir} was mode 755, now 700`)),
        warnings.join("\n"),
      );
      assert.ok(
        warnings.some((w) => w.includes(`${secretFile} was mode 644, now 600`)),
        warnings.join("\n"),
      );
    } finally {
      await api.close();
    }
  });
});
