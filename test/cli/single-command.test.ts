import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir } from "../helpers/tmp.ts";
import { alive, waitFor } from "../helpers/wait.ts";

/* `pup run -- CMD` (no configuration file) is controlled like any instance: from its folder, or
   with --config and the name it prints, or with --cwd. */

const { dir: root, cleanup } = tempDir();
const started: PupProcess[] = [];
const pids: number[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.kill()));
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  cleanup();
});

function folder(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
function pup(args: string[], cwd: string): PupProcess {
  const p = new PupProcess(args, { cwd });
  started.push(p);
  return p;
}
async function pidIn(file: string): Promise<number> {
  const pid = await waitFor(
    () => (existsSync(file) ? Number(readFileSync(file, "utf8").trim()) || undefined : undefined),
    file,
  );
  pids.push(pid);
  return pid;
}

describe("an instance without a configuration file", () => {
  test("status, stop, token, logs and terminate find it from its folder and by the name it prints", async () => {
    const dir = folder("plain");
    const elsewhere = folder("elsewhere");
    const run = pup(["run", "--autostart", "--", "sh", "-c", "echo $$ > child.pid; exec sleep 1000"], dir);
    const pid = await pidIn(path.join(dir, "child.pid"));

    const status = await runPup(["status"], { cwd: dir });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^task\s+process\s+RUNNING\b/m);
    const name = status.stdout.match(/^config\s+(\S+) \(none: run from the command line/m)?.[1];
    assert.equal(name, path.join(dir, "pup-run-task"));
    assert.ok(!existsSync(name), "no file is written");

    const byName = await runPup(["status", "--config", name], { cwd: elsewhere });
    assert.equal(byName.code, 0, byName.stderr);
    assert.match(byName.stdout, /^task\s+process\s+RUNNING\b/m);

    const token = await runPup(["token", "--consumer", "me", "--expire-in", "60"], { cwd: dir });
    assert.equal(token.code, 0, token.stderr);
    const port = readFileSync(path.join(dir, ".pup", "pup-run-task-tmp", ".main.port"), "utf8");
    const answer = await fetch(`http://127.0.0.1:${port}/processes`, {
      headers: { authorization: `Bearer ${token.stdout.trim()}` },
    });
    assert.equal(answer.status, 200, "the token is the instance's");

    const stop = await runPup(["stop", "task"], { cwd: dir });
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, "stopped task: task FINISHED\n");
    assert.ok(!alive(pid));

    const logs = await runPup(["logs", "--id", "task"], { cwd: dir });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /\[task:finished\]/);

    const terminate = await runPup(["terminate", "--config", name], { cwd: elsewhere });
    assert.equal(terminate.code, 0, terminate.stderr);
    assert.equal((await run.exited).code, 0);
    const gone = await runPup(["status"], { cwd: dir });
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, `pup: no running instance for ${name}\n`);
    const stored = await runPup(["logs", "-n", "1"], { cwd: dir });
    assert.equal(stored.code, 0, "its logs stay readable once it has ended");
    assert.match(stored.stdout, /\[core:/);
  });

  test("--cwd is the folder the instance works in: the process runs there and status --cwd finds it", async () => {
    const top = folder("top");
    folder("top/work");
    const run = pup(
      [
        "run",
        "--autostart",
        "--cwd",
        "work",
        "--",
        "sh",
        "-c",
        "pwd > where; echo $$ > child.pid; exec sleep 1000",
      ],
      top,
    );
    await pidIn(path.join(top, "work", "child.pid"));
    assert.equal(readFileSync(path.join(top, "work", "where"), "utf8").trim(), path.join(top, "work"));
    for (const flag of ["--cwd", "-d"]) {
      const status = await runPup(["status", flag, "work"], { cwd: top });
      assert.equal(status.code, 0, `${flag}: ${status.stderr}`);
      assert.match(status.stdout, /^task\s+process\s+RUNNING\b/m);
    }
    run.child.kill("SIGTERM");
    assert.equal((await run.exited).code, 0);
    const missing = await runPup(["run", "--autostart", "--cwd", "nowhere", "--", "true"], { cwd: top });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `pup: --cwd: no such folder: ${path.join(top, "nowhere")}\n`);
  });

  test("two of them in one folder: the commands ask which, naming both", async () => {
    const dir = folder("two");
    const a = pup(
      ["run", "--autostart", "--id", "a", "--", "sh", "-c", "echo $$ > a.pid; exec sleep 1000"],
      dir,
    );
    const b = pup(
      ["run", "--autostart", "--id", "b", "--", "sh", "-c", "echo $$ > b.pid; exec sleep 1000"],
      dir,
    );
    await pidIn(path.join(dir, "a.pid"));
    await pidIn(path.join(dir, "b.pid"));
    const status = await runPup(["status"], { cwd: dir });
    assert.equal(status.code, 1);
    assert.match(
      status.stderr,
      /^pup: no configuration file in .*, and 2 instances without one run there: choose with --config pup-run-a or --config pup-run-b\n$/,
    );
    const one = await runPup(["stop", "b", "--config", "pup-run-b"], { cwd: dir });
    assert.equal(one.code, 0, one.stderr);
    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
    await Promise.all([a.exited, b.exited]);
  });

  test("a configuration file in the folder still comes first", async () => {
    const dir = folder("with-file");
    writeFileSync(path.join(dir, "pup.json"), JSON.stringify({ processes: [{ id: "x", cmd: "true" }] }));
    const run = pup(["run", "--autostart", "--", "sh", "-c", "echo $$ > child.pid; exec sleep 1000"], dir);
    await pidIn(path.join(dir, "child.pid"));
    const status = await runPup(["status"], { cwd: dir });
    assert.equal(status.code, 1);
    assert.equal(status.stderr, `pup: no running instance for ${path.join(dir, "pup.json")}\n`);
    run.child.kill("SIGTERM");
    await run.exited;
  });
});
