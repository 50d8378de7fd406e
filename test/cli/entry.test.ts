import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFastCommand } from "../../src/cli/entry.ts";

describe("the fast path's argument parser", () => {
  test("control commands with their flags, in any order and spelling commander accepts", () => {
    assert.deepEqual(parseFastCommand(["status"]), { command: "status", flags: {} });
    assert.deepEqual(parseFastCommand(["status", "--json", "-c", "x.json"]), {
      command: "status",
      flags: { json: true, config: "x.json" },
    });
    assert.deepEqual(parseFastCommand(["status", "--config=a/pup.jsonc", "--cwd", "dir"]), {
      command: "status",
      flags: { config: "a/pup.jsonc", cwd: "dir" },
    });
    assert.deepEqual(parseFastCommand(["stop", "--cwd=dir", "all"]), {
      command: "action",
      action: "stop",
      id: "all",
      flags: { cwd: "dir" },
    });
    for (const action of ["start", "stop", "restart", "block", "unblock"]) {
      assert.deepEqual(parseFastCommand([action, "web-1", "--config", "p.json"]), {
        command: "action",
        action,
        id: "web-1",
        flags: { config: "p.json" },
      });
    }
    assert.deepEqual(parseFastCommand(["terminate", "-c", "p.json"]), {
      command: "terminate",
      flags: { config: "p.json" },
    });
    assert.deepEqual(parseFastCommand(["--version"]), { command: "version" });
    assert.deepEqual(parseFastCommand(["-v"]), { command: "version" });
  });

  test("anything else is left to commander: other commands, help, typos, missing or extra arguments", () => {
    for (const argv of [
      [],
      ["run"],
      ["logs", "-n", "5"],
      ["token", "--consumer", "x"],
      ["status", "--help"],
      ["status", "-h"],
      ["stop", "--help"],
      ["--help"],
      ["--version", "status"],
      ["status", "--bogus"],
      ["status", "extra"],
      ["terminate", "now"],
      ["status", "--json=yes"],
      ["status", "--json", "--json"],
      ["start", "--json", "a"],
      ["start"],
      ["start", "a", "b"],
      ["start", "-a"],
      ["start", "a", "--", "b"],
      ["status", "-c"],
      ["status", "--config"],
      ["status", "--config="],
      ["status", "--config", "--json"],
      ["status", "-cpup.json"],
      ["status", "-c=pup.json"],
      ["status", "-c", "a.json", "--config", "b.json"],
      ["status", "--cwd", "a", "--cwd", "b"],
      ["Status"],
    ]) {
      assert.equal(parseFastCommand(argv), undefined, argv.join(" "));
    }
  });
});
