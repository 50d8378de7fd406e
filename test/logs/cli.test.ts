import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import type { LogEntry } from "../../src/logs/entry.ts";
import { LogStore } from "../../src/logs/log-store.ts";
import { PUP_BIN, PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

/* Runs bin/pup.js, i.e. the build in dist/ (`npm test` builds first). */

const { dir: root, cleanup } = tempDir("pup-logs-cli-");
const started: PupProcess[] = [];
const stores: LogStore[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.kill()));
  await Promise.all(stores.map((s) => s.close()));
  cleanup();
});
function pup(args: string[]): PupProcess {
  const p = new PupProcess(args);
  started.push(p);
  return p;
}

let n = 0;
function project(config: object): { dir: string; file: string; db: string } {
  const dir = path.join(root, `p${++n}`);
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    file: writeJson(path.join(dir, "pup.json"), config),
    db: path.join(dir, ".pup", "pup.json-data", "logs.db"),
  };
}

const T0 = Date.UTC(2026, 0, 2, 3, 0, 0);
const entries: LogEntry[] = [];
for (let i = 0; i < 300; i++) {
  entries.push({
    processId: i % 2 === 0 ? "web" : "worker",
    severity: i % 10 === 9 ? "error" : "log",
    category: i % 10 === 9 ? "stderr" : "stdout",
    text: `message ${i}`,
    timeStamp: T0 + i * 1000,
  });
}
const line = (e: LogEntry) =>
  `${new Date(e.timeStamp).toISOString()} [${e.severity.toUpperCase()}] [${e.processId}:${e.category}] ${e.text}`;
const lines = (list: LogEntry[]) => list.map((e) => `${line(e)}\n`).join("");

/** A project whose store holds `entries`, written by a store that is closed again (instance down). */
async function storedProject() {
  const p = project({ processes: [{ id: "web", cmd: "true" }] });
  const store = LogStore.open({ file: p.db, retentionHours: 0, onError: assert.fail });
  for (const e of entries) store.write(e);
  await store.close();
  return p;
}

describe("pup logs", () => {
  test("reads the store with the instance down: filters, -n, time range, oldest first, decorated, no colour in a pipe", async () => {
    const { file } = await storedProject();
    const logs = (...args: string[]) =>
      runPup(["logs", "--config", file, ...args], { env: { NO_COLOR: "" } });

    let r = await logs();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, lines(entries.slice(-100)), "default: the newest 100");
    assert.ok(!r.stdout.includes("\x1b["));

    r = await logs("-n", "3");
    assert.equal(r.stdout, lines(entries.slice(-3)));

    r = await logs("--id", "worker", "-n", "1000");
    assert.equal(r.stdout, lines(entries.filter((e) => e.processId === "worker")));

    r = await logs("--severity", "error", "-n", "5");
    assert.equal(r.stdout, lines(entries.filter((e) => e.severity === "error").slice(-5)));

    r = await logs("--start", "2026-01-02T03:01:00Z", "--end", "2026-01-02T03:01:04.000Z", "--id", "web");
    assert.equal(
      r.stdout,
      lines(
        entries.filter(
          (e) => e.processId === "web" && e.timeStamp >= T0 + 60_000 && e.timeStamp <= T0 + 64_000,
        ),
      ),
    );
    assert.equal(r.stdout.split("\n").length - 1, 3, "60, 62, 64");

    r = await logs("--json", "-n", "2");
    assert.deepEqual(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
      entries.slice(-2),
    );
  });

  test("bad flags and a missing store are one-line errors with exit code 1", async () => {
    const { file } = await storedProject();
    const cases: Array<[string[], RegExp]> = [
      [["--start", "yesterday"], /^pup: --start: expected an ISO 8601 date or time .*got "yesterday"\n$/],
      [["--end", "2026-13-45"], /^pup: --end: expected an ISO 8601/],
      [["--severity", "fatal"], /^pup: --severity: expected one of log, info, warn, error, got "fatal"\n$/],
      [["-n", "zero"], /^pup: -n: expected a whole number/],
      [["--start", "2026-02-01", "--end", "2026-01-01"], /^pup: --start .* is after --end/],
    ];
    for (const [args, message] of cases) {
      const r = await runPup(["logs", "--config", file, ...args]);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, message);
      assert.equal(r.stdout, "");
    }
    const empty = project({ processes: [{ id: "a", cmd: "true" }] });
    const r = await runPup(["logs", "--config", empty.file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^pup: no log store at .*logs\.db: the instance has not run yet/);
    assert.equal(r.stderr.split("\n").length, 2, "one line");
  });

  test("-n 100000 into a slow pipe: every line is written before pup exits; a reader that leaves ends it quietly", async () => {
    const p = project({ processes: [{ id: "web", cmd: "true" }] });
    const store = LogStore.open({ file: p.db, retentionHours: 0, onError: assert.fail });
    for (let i = 0; i < 100_000; i++) store.write({ ...entries[0], text: `entry ${i}`, timeStamp: T0 + i });
    await store.close();

    // The reader starts once pup has filled the pipe and queued the rest (the query takes ~1 s).
    const slow = await pipeline(p.file, "logs -n 100000", "(sleep 3; wc -l)");
    assert.equal(slow.stdout, "100000\npup exit 0\n", slow.stderr);
    const head = await pipeline(p.file, "logs -n 100000", "head -n 1 >/dev/null");
    assert.equal(head.stdout, "pup exit 0\n", "`pup logs | head`: exit 0");
    assert.equal(head.stderr, "", "nothing said: leaving is the reader's choice");
  });

  test("--follow prints new entries as they are stored, until Ctrl+C", async () => {
    const { file, db } = await storedProject();
    const follower = pup(["logs", "--config", file, "--follow", "-n", "1", "--id", "web"]);
    await follower.waitForOutput("message 298");
    const store = LogStore.open({ file: db, retentionHours: 0, onError: assert.fail });
    stores.push(store);
    const more: LogEntry[] = [];
    for (let i = 0; i < 5; i++) {
      more.push({
        ...entries[0],
        processId: i % 2 ? "worker" : "web",
        text: `later ${i}`,
        timeStamp: Date.now(),
      });
    }
    for (const e of more) store.write(e);
    await store.flush();
    await follower.waitForOutput("later 4");
    follower.child.kill("SIGINT");
    const { code } = await follower.exited;
    assert.equal(code, 0, follower.stderr);
    assert.equal(follower.stdout, lines([entries[298], ...more.filter((e) => e.processId === "web")]));
  });

  test("a real run: entries survive the instance, an unwritable log file and a corrupt store do not stop it", async () => {
    const p = project({
      logger: { stdout: "blocked.log" },
      processes: [
        {
          id: "hello",
          cmd: "sh -c 'for i in 1 2 3; do echo hello $i; done; echo oops >&2'",
          autostart: true,
        },
      ],
    });
    mkdirSync(path.join(p.dir, "blocked.log"));
    mkdirSync(path.dirname(p.db), { recursive: true });
    writeFileSync(p.db, Buffer.alloc(4096, 1));
    const run = pup(["run", "--config", p.file]);
    await run.waitForOutput("[hello:finished]");
    run.child.kill("SIGTERM");
    const { code } = await run.exited;
    assert.equal(code, 0, run.output);
    assert.equal(run.stderr.match(/cannot write to the log file .*blocked\.log/g)?.length, 1, run.stderr);
    assert.match(run.output, /log store .* is corrupt .*moved it to/);

    const r = await runPup(["logs", "--config", p.file, "-n", "1000"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /\[LOG\] \[hello:stdout\] hello 1\n.*\[LOG\] \[hello:stdout\] hello 2\n.*hello 3\n/s,
    );
    assert.match(r.stdout, /\[ERROR\] \[hello:stderr\] oops\n/);
    assert.match(
      r.stdout,
      /\[core:terminating\] all processes stopped; bye\n$/,
      "the last message is stored too",
    );
    const errors = await runPup([
      "logs",
      "--config",
      p.file,
      "--severity",
      "error",
      "--id",
      "hello",
      "--json",
    ]);
    assert.deepEqual(
      errors.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).text),
      ["oops"],
    );
  });
});

/**
 * `pup <command> --config <file> | <tail>` through a shell's pipe (a pipe(2), which Node writes to
 * asynchronously; a socket it is given by a parent Node process it writes to synchronously):
 * what the tail printed, then pup's exit status; pup's stderr.
 */
function pipeline(file: string, command: string, tail: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const sh = spawn(
      "bash",
      [
        "-c",
        `"$NODE" "$PUP" ${command} --config "$FILE" 2>"$FILE.err" | ${tail}; echo "pup exit \${PIPESTATUS[0]}"`,
      ],
      { env: { ...process.env, NODE: process.execPath, PUP: PUP_BIN, FILE: file, NO_COLOR: "1" } },
    );
    started.push({ kill: async () => void sh.kill("SIGKILL") } as PupProcess);
    let stdout = "";
    sh.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    sh.on("close", (code) => resolve({ code, stdout, stderr: readFileSync(`${file}.err`, "utf8") }));
  });
}

describe("pup monitor", () => {
  test("without a running instance: exit 1, one line", async () => {
    const p = project({ processes: [{ id: "a", cmd: "true" }] });
    const r = await runPup(["monitor", "--config", p.file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^pup: no running instance for .*pup\.json\n$/);
  });

  test("streams live entries, filtered, and reconnects when the instance restarts", async () => {
    const p = project({
      logger: { console: false },
      processes: [
        {
          id: "ticker",
          cmd: "sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.05; done'",
          autostart: true,
        },
        { id: "other", cmd: "sh -c 'while true; do echo other; sleep 0.05; done'", autostart: true },
      ],
    });
    let run = pup(["run", "--config", p.file]);
    await waitFor(
      async () => (await runPup(["status", "--config", p.file])).code === 0,
      "the instance to answer",
      15_000,
      100,
    );
    const monitor = pup(["monitor", "--config", p.file, "--id", "ticker", "--severity", "log"]);
    await monitor.waitForOutput(/\[LOG\] \[ticker:stdout\] tick \d+\n.*tick \d+\n/s);
    assert.ok(!monitor.stdout.includes("other"), "only the process asked for");
    assert.match(monitor.stdout, /^(\S+ \[LOG\] \[ticker:stdout\] tick \d+\n)+$/);
    // `pup monitor | head`: once the reader has gone, the monitor ends by itself, quietly.
    const head = await pipeline(p.file, "monitor --id ticker", "head -n 2 >/dev/null");
    assert.equal(head.stdout, "pup exit 0\n", head.stderr);
    assert.equal(head.stderr, "");

    run.child.kill("SIGTERM");
    await run.exited;
    await monitor.waitForOutput("lost the connection");
    run = pup(["run", "--config", p.file]);
    await monitor.waitForOutput("reconnected", 15_000);
    const before = monitor.stdout.length;
    await waitFor(
      () => /tick \d+\n.*tick \d+\n/s.test(monitor.stdout.slice(before)),
      "ticks of the new instance",
      10_000,
    );
    monitor.child.kill("SIGINT");
    const { code } = await monitor.exited;
    assert.equal(code, 0, monitor.stderr);
  });
});
