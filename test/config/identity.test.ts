import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/common/errors.ts";
import { idClashes, idsOf, memberId, memberIndex } from "../../src/config/identity.ts";
import { parseConfig } from "../../src/config/load.ts";

function problem(processes: unknown[]): string {
  try {
    parseConfig(JSON.stringify({ processes }), "pup.json");
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.message;
  }
  assert.fail("expected the configuration to be rejected");
}

describe("process identity", () => {
  test("cluster instance ids are made and parsed in one place", () => {
    assert.equal(memberId("web", 0), "web-1");
    assert.equal(memberIndex("web", 3, "WEB-3"), 2);
    assert.equal(memberIndex("web", 3, "web-4"), undefined);
    assert.equal(memberIndex("web", 3, "web-01"), undefined);
    assert.equal(memberIndex("web", 3, "web-"), undefined);
    assert.equal(memberIndex("web-1", 3, "web-1"), undefined);
    const ids = idsOf([{ id: "web", cluster: { instances: 2 } }, { id: "db" }]);
    assert.deepEqual([...ids.keys()], ["web", "web-1", "web-2", "db"]);
    assert.equal(ids.get("web-2")?.index, 1);
  });

  test("a process named like another cluster's instance is refused, in either order", () => {
    assert.deepEqual(idClashes([{ id: "web", cluster: { instances: 2 } }, { id: "Web-2" }]), [
      { index: 1, id: "Web-2", with: 'instance "web-2" of cluster "web"' },
    ]);
    const message = problem([
      { id: "web-2", cmd: "x" },
      { id: "web", cmd: "y", cluster: { instances: 2 } },
    ]);
    assert.equal(
      message,
      'pup.json: processes[1].id: cluster instance id "web-2": process "web-2" has it already (ids are case-insensitive)',
    );
  });

  test("duplicates (case-insensitive) name the first holder", () => {
    assert.match(
      problem([
        { id: "a", cmd: "x" },
        { id: "A", cmd: "y" },
      ]),
      /processes\[1\]\.id: duplicate process id "A": process "a" has it already/,
    );
  });

  test("reserved ids are refused", () => {
    for (const id of ["all", "ALL", "core", ".", ".."]) {
      assert.match(
        problem([{ id, cmd: "x" }]),
        new RegExp(`processes\\[0\\]\\.id: "${id.replace(/\./g, "\\.")}" is reserved`),
      );
    }
  });

  test("a blank command, a NUL byte, a cron that never fires are refused", () => {
    assert.match(problem([{ id: "a", cmd: "   " }]), /processes\[0\]\.cmd: must not be blank/);
    assert.match(problem([{ id: "a", cmd: "echo \u0000" }]), /processes\[0\]\.cmd: must not contain a NUL/);
    assert.match(
      problem([{ id: "a", cmd: "x", cwd: "a\u0000b" }]),
      /processes\[0\]\.cwd: must not contain a NUL/,
    );
    assert.match(
      problem([{ id: "a", cmd: "x", cron: "0 0 31 2 *" }]),
      /processes\[0\]\.cron: cron expression "0 0 31 2 \*" never fires/,
    );
    assert.match(problem([{ id: "a", cmd: "x", env: { "A=B": "1" } }]), /processes\[0\]\.env/);
  });

  test("dependsOn: unknown ids and cycles are named, with the cycle's path", () => {
    assert.match(
      problem([{ id: "a", cmd: "x", dependsOn: ["nosuch"] }]),
      /processes\[0\]\.dependsOn: "a" depends on unknown process "nosuch"/,
    );
    assert.match(
      problem([
        { id: "a", cmd: "x", dependsOn: ["b"] },
        { id: "b", cmd: "x", dependsOn: ["c"] },
        { id: "c", cmd: "x", dependsOn: ["a"] },
      ]),
      /dependency cycle: a -> b -> c -> a/,
    );
    assert.match(problem([{ id: "a", cmd: "x", dependsOn: ["a"] }]), /dependency cycle: a -> a/);
    // A cluster instance belongs to its cluster: depending on one's own instance is a cycle too.
    assert.match(
      problem([{ id: "w", cmd: "x", cluster: { instances: 2 }, dependsOn: ["w-1"] }]),
      /dependency cycle: w -> w/,
    );
    const ok = parseConfig(
      JSON.stringify({
        processes: [
          { id: "a", cmd: "x", dependsOn: ["B", "w-2"] },
          { id: "b", cmd: "x" },
          { id: "w", cmd: "x", cluster: { instances: 2 } },
        ],
      }),
      "pup.json",
    );
    assert.deepEqual(ok.processes[0].dependsOn, ["B", "w-2"]);
  });

  test("healthcheck: one probe, defaults, {port} needs startPort", () => {
    const config = parseConfig(
      JSON.stringify({
        processes: [{ id: "a", cmd: "x", healthcheck: { http: "http://127.0.0.1:8080/health" } }],
      }),
      "pup.json",
    );
    assert.deepEqual(config.processes[0].healthcheck, {
      http: "http://127.0.0.1:8080/health",
      intervalMs: 10_000,
      timeoutMs: 3000,
      retries: 3,
      startPeriodMs: 0,
      restart: true,
    });
    assert.match(
      problem([{ id: "a", cmd: "x", healthcheck: { http: "http://x", tcp: "x:1" } }]),
      /processes\[0\]\.healthcheck: exactly one of "http", "tcp" and "cmd" is required, got 2/,
    );
    assert.match(problem([{ id: "a", cmd: "x", healthcheck: {} }]), /got none/);
    assert.match(
      problem([{ id: "a", cmd: "x", healthcheck: { http: "ftp://x" } }]),
      /healthcheck\.http: expected an http/,
    );
    assert.match(
      problem([{ id: "a", cmd: "x", healthcheck: { tcp: "nohost" } }]),
      /healthcheck\.tcp: expected "host:port"/,
    );
    assert.match(
      problem([{ id: "a", cmd: "x", healthcheck: { tcp: "127.0.0.1:{port}" } }]),
      /processes\[0\]\.healthcheck: \{port\} needs cluster\.startPort/,
    );
    parseConfig(
      JSON.stringify({
        processes: [
          {
            id: "a",
            cmd: "x",
            cluster: { instances: 2, startPort: 3000 },
            healthcheck: { http: "http://127.0.0.1:{port}/" },
          },
        ],
      }),
      "pup.json",
    );
  });

  test("backoff cap below the first delay is refused; maxMemoryMb must be positive", () => {
    assert.match(
      problem([{ id: "a", cmd: "x", restartBackoffMaxMs: 500 }]),
      /processes\[0\]\.restartBackoffMaxMs: must be at least restartDelayMs \(10000\)/,
    );
    assert.match(problem([{ id: "a", cmd: "x", maxMemoryMb: 0 }]), /processes\[0\]\.maxMemoryMb/);
  });
});
