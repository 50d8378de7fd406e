import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { projects, tempDir } from "../helpers/tmp.ts";
import { alive, waitFor } from "../helpers/wait.ts";

const { dir: root, cleanup } = tempDir();
const started: PupProcess[] = [];
const orphans: number[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.kill()));
  for (const pid of orphans) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  cleanup();
});
function pup(args: string[], cwd?: string): PupProcess {
  const p = new PupProcess(args, { cwd });
  started.push(p);
  return p;
}
const project = projects(root);
/** Pids a child wrote to a file, one per line. */
async function pidsIn(file: string, count: number): Promise<number[]> {
  return waitFor(() => {
    if (!existsSync(file)) return undefined;
    const pids = readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map(Number);
    return pids.length >= count ? pids : undefined;
  }, `${count} pids in ${file}`);
}

describe("pup run", () => {
  test("runs a configuration; SIGTERM stops every child and exits 0", async () => {
    const { dir, file } = project({
      processes: [
        { id: "a", cmd: "sh -c 'echo $$ >> pids; sleep 1000 & echo $! >> pids; wait'", autostart: true },
        { id: "b", cmd: "sh -c 'echo $$ >> pids; exec sleep 1000'", autostart: true },
      ],
    });
    const p = pup(["run", "--config", file]);
    const pids = await pidsIn(path.join(dir, "pids"), 3);
    orphans.push(...pids);
    assert.ok(existsSync(path.join(dir, ".pup", "pup.json-tmp", ".main.lock")));
    p.child.kill("SIGTERM");
    const { code } = await p.exited;
    assert.equal(code, 0, p.output);
    for (const pid of pids) assert.ok(!alive(pid), `child ${pid} outlived the instance`);
    assert.ok(!existsSync(path.join(dir, ".pup", "pup.json-tmp", ".main.lock")), "lock released");
    assert.match(p.output, /\[a:stopping\]/);
  });

  test("loading the API on its first request prints nothing of its own (no schema compiler warnings)", async () => {
    const { dir, file } = project({
      logger: { console: false },
      processes: [{ id: "a", cmd: "sleep 1000", autostart: true }],
    });
    const p = pup(["run", "--config", file]);
    await waitFor(() => existsSync(path.join(dir, ".pup", "pup.json-tmp", ".main.port")), "the port file");
    const status = await runPup(["status", "--config", file]);
    assert.equal(status.code, 0, status.stderr);
    p.child.kill("SIGTERM");
    assert.equal((await p.exited).code, 0);
    assert.equal(p.stderr, "");
    assert.equal(p.stdout, "");
  });

  test("if the instance is killed with SIGKILL, its children die too", async () => {
    const { dir, file } = project({
      processes: [
        { id: "a", cmd: "sh -c 'echo $$ >> pids; sleep 1000 & echo $! >> pids; wait'", autostart: true },
      ],
    });
    const p = pup(["run", "--config", file]);
    const pids = await pidsIn(path.join(dir, "pids"), 2);
    orphans.push(...pids);
    p.child.kill("SIGKILL");
    await p.exited;
    await waitFor(() => pids.every((pid) => !alive(pid)), "the children to die after the instance", 6000);
  });

  test("a second instance on the same file exits 1 naming the running pid; a stale lock does not block", async () => {
    const { dir, file } = project({ processes: [{ id: "a", cmd: "sleep 1000", autostart: true }] });
    const first = pup(["run", "--config", file]);
    await first.waitForOutput("[a:starting]");
    const second = await runPup(["run", "--config", file]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`another pup instance \\(pid ${first.pid}\\) is already running`));
    first.child.kill("SIGKILL");
    await first.exited;
    // The killed instance left its lock behind.
    assert.ok(existsSync(path.join(dir, ".pup", "pup.json-tmp", ".main.lock")));
    const third = pup(["run", "--config", file]);
    await third.waitForOutput("[a:starting]");
    third.child.kill("SIGINT");
    assert.equal((await third.exited).code, 0);
  });

  test("an invalid configuration starts nothing and exits 1 with the reason", async () => {
    const { file } = project({ processes: [{ id: "a", cmd: "sleep 1", restart: "sometimes" }] });
    const result = await runPup(["run", "--config", file]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /pup\.json: processes\[0\]\.restart: expected "always" or "error", got "sometimes"/,
    );
    assert.equal(result.stderr.trim().split("\n").length, 1, "one line");
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, "no stack trace");
    const missing = await runPup(["run"], { cwd: root });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no configuration file/);
  });

  test("without a configuration file: --cmd or -- with a start policy", async () => {
    const refused = await runPup(["run", "--cmd", "echo hi"], { cwd: root });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /needs --autostart, --cron or --watch/);

    const p = pup(
      [
        "run",
        "--autostart",
        "--id",
        "greeter",
        "--",
        "sh",
        "-c",
        "echo hello from $PUP_PROCESS_ID; sleep 1000",
      ],
      root,
    );
    await p.waitForOutput("[greeter:stdout] hello from greeter");
    p.child.kill("SIGINT");
    assert.equal((await p.exited).code, 0);

    const q = pup(["run", "--autostart", "--cmd", "echo cmd flag"], root);
    await q.waitForOutput("[task:stdout] cmd flag");
    q.child.kill("SIGTERM");
    assert.equal((await q.exited).code, 0);
  });
});

describe("pup init, append, remove, --version, --help", () => {
  test("init creates pup.json and refuses to overwrite; append and remove edit it", async () => {
    const dir = path.join(root, "edit");
    mkdirSync(dir);
    const init = await runPup(["init", "--id", "web", "--cmd", "node server.js", "--autostart"], {
      cwd: dir,
    });
    assert.equal(init.code, 0, init.stderr);
    const file = path.join(dir, "pup.json");
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), {
      processes: [{ id: "web", cmd: "node server.js", autostart: true }],
    });
    const again = await runPup(["init", "--id", "x", "--cmd", "y"], { cwd: dir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);

    const append = await runPup(["append", "--id", "job", "--cmd", "echo 1", "--cron", "0 * * * *"], {
      cwd: dir,
    });
    assert.equal(append.code, 0, append.stderr);
    const dup = await runPup(["append", "--id", "JOB", "--cmd", "echo 2"], { cwd: dir });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /duplicate process id "JOB"/);
    const badCron = await runPup(["append", "--id", "bad", "--cmd", "x", "--cron", "nope"], { cwd: dir });
    assert.equal(badCron.code, 1);
    assert.match(badCron.stderr, /processes\[2\]\.cron/);
    assert.equal(
      JSON.parse(readFileSync(file, "utf8")).processes.length,
      2,
      "a refused change writes nothing",
    );

    const remove = await runPup(["remove", "--id", "web"], { cwd: dir });
    assert.equal(remove.code, 0, remove.stderr);
    assert.deepEqual(
      JSON.parse(readFileSync(file, "utf8")).processes.map((p: { id: string }) => p.id),
      ["job"],
    );
    const unknown = await runPup(["remove", "--id", "nope"], { cwd: dir });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no process with id "nope"/);
  });

  test("--version and --help", async () => {
    const version = await runPup(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
    const help = await runPup(["--help"]);
    assert.equal(help.code, 0);
    for (const command of [
      "run",
      "init",
      "append",
      "remove",
      "status",
      "start",
      "stop",
      "restart",
      "block",
      "unblock",
      "terminate",
      "logs",
      "monitor",
      "token",
      "enable-service",
      "disable-service",
    ]) {
      assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, "m"), `help lists ${command}`);
    }
    const unknown = await runPup(["frobnicate"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command/);
  });
});
