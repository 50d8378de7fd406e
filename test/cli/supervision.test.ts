import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, describe, test } from "node:test";
import { PUP_BIN, PupProcess, runPup } from "../helpers/pup-process.ts";
import { projects, tempDir } from "../helpers/tmp.ts";
import { sleep, waitFor } from "../helpers/wait.ts";

/** Whether a user who is neither the owner nor in the group can read `file` (every folder above it searchable). */
function othersCanReach(file: string): boolean {
  if ((statSync(file).mode & 0o004) === 0) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === path.dirname(dir)) return true;
  }
}

// Issue 9: an instance that never dies of what happens around it. Each test runs a real `pup run`.

const { dir: root, cleanup } = tempDir();
const spawned: ChildProcess[] = [];
const started: PupProcess[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.kill()));
  for (const child of spawned) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  cleanup();
});

const project = projects(root);

function pup(args: string[]): PupProcess {
  const p = new PupProcess(args);
  started.push(p);
  return p;
}

interface StatusJson {
  pid: number;
  processes: Array<{ id: string; status: number; pid?: number }>;
}

async function statusOf(file: string): Promise<StatusJson> {
  const result = await runPup(["status", "--json", "--config", file]);
  assert.equal(result.code, 0, `pup status: ${result.stderr}`);
  return JSON.parse(result.stdout) as StatusJson;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });

const ticking = { id: "a", cmd: "sh -c 'while :; do echo tick; sleep 0.05; done'", autostart: true };

describe("the instance survives what happens around it", () => {
  test("its console's reader goes away (EPIPE): it keeps supervising and logging to the store", async () => {
    const { file } = project({ processes: [ticking] });
    const child = spawn(process.execPath, [PUP_BIN, "run", "--config", file], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    spawned.push(child);
    let seen = "";
    child.stdout!.on("data", (d) => {
      seen += d;
    });
    await waitFor(() => seen.includes("[a:stdout] tick"), "the first ticks on the console");
    // The reader exits, as `pup run | head -3` does: both console pipes lose their reader.
    child.stdout!.destroy();
    child.stderr!.destroy();
    const closedAt = Date.now();
    await sleep(500);
    const status = await statusOf(file);
    assert.equal(status.pid, child.pid);
    assert.equal(status.processes[0].status, 200, "the process still runs");
    const logs = await runPup(["logs", "--config", file, "--id", "a", "-n", "5"]);
    const last = logs.stdout.trim().split("\n").at(-1) ?? "";
    assert.ok(Date.parse(last.slice(0, 24)) > closedAt, `entries go on being stored: ${logs.stdout}`);
    child.kill("SIGTERM");
    assert.equal(await exited(child), 0);
  });

  test("SIGHUP reloads an unchanged file, with or without nohup; it stops nothing", async () => {
    for (const nohup of [false, true]) {
      const { file } = project({ processes: [{ id: "a", cmd: "sleep 1000", autostart: true }] });
      const argv = [process.execPath, PUP_BIN, "run", "--config", file];
      const child = spawn(nohup ? "nohup" : argv[0], nohup ? argv : argv.slice(1), {
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      spawned.push(child);
      let output = "";
      child.stdout!.on("data", (d) => {
        output += d;
      });
      child.stderr!.on("data", (d) => {
        output += d;
      });
      await waitFor(() => output.includes("[a:starting]"), `the process to start\n${output}`);
      const before = await statusOf(file);
      child.kill("SIGHUP");
      await waitFor(() => output.includes("reloading (SIGHUP)"), `the SIGHUP to be logged\n${output}`);
      child.kill("SIGHUP");
      await sleep(300);
      const after = await statusOf(file);
      assert.equal(after.pid, before.pid, "the same instance");
      assert.equal(after.processes[0].pid, before.processes[0].pid, "the process was not restarted");
      assert.equal(after.processes[0].status, 200);
      assert.match(
        output,
        /\[INFO\] \[core:reload\] reloading \(SIGHUP\): 0 added, 0 removed, 0 changed, 1 unchanged/,
      );
      assert.doesNotMatch(output, /terminating/);
      child.kill("SIGTERM");
      assert.equal(await exited(child), 0, output);
    }
  });

  test("a fault nobody catches (a plugin's timer throws, a rejection is unhandled) is logged with its stack; supervision goes on", async () => {
    const { dir, file } = project({
      processes: [{ id: "a", cmd: "sleep 1000", autostart: true }],
      plugins: [{ url: "./faulty.mjs" }],
    });
    writeFileSync(
      path.join(dir, "faulty.mjs"),
      `export class PupPlugin {
         constructor() {
           this.meta = { name: "faulty", version: "1.0.0", api: "1", repository: "https://example.invalid/faulty" };
           setTimeout(function timerThatThrows() { throw new Error("plugin timer fault"); }, 100);
           setTimeout(() => { Promise.reject(new Error("plugin rejection fault")); }, 150);
           setTimeout(() => { throw "a thrown string"; }, 200);
         }
       }`,
    );
    const p = pup(["run", "--config", file]);
    await p.waitForOutput("a thrown string");
    const status = await statusOf(file);
    assert.equal(status.pid, p.pid);
    assert.equal(status.processes[0].status, 200);
    assert.match(
      p.stderr,
      /\[ERROR\] \[core:errored\] uncaught exception; the instance goes on: Error: plugin timer fault(?:\n|\\n)\s+at Timeout\.timerThatThrows/,
    );
    assert.match(
      p.stderr,
      /\[core:errored\] unhandled promise rejection; the instance goes on: Error: plugin rejection fault(?:\n|\\n)\s+at /,
    );
    assert.match(
      p.stderr,
      /\[core:errored\] uncaught exception; the instance goes on: 'a thrown string' \(not an Error\)/,
    );
    const stored = await runPup(["logs", "--config", file, "--severity", "error"]);
    assert.match(stored.stdout, /plugin timer fault/, "the fault is in the log store too");
    p.child.kill("SIGTERM");
    assert.equal((await p.exited).code, 0);
  });
});

describe("start-up failures: one line that says what to do, exit 1", () => {
  async function startFails(config: object, expected: RegExp, spawnOptions: { uid?: number } = {}) {
    const { dir, file } = project(config);
    if (spawnOptions.uid !== undefined) chmodSync(dir, 0o555);
    const child = spawn(process.execPath, [PUP_BIN, "run", "--config", file], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      ...(spawnOptions.uid !== undefined ? { uid: spawnOptions.uid, gid: spawnOptions.uid } : {}),
    });
    spawned.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => {
      stdout += d;
    });
    child.stderr!.on("data", (d) => {
      stderr += d;
    });
    const code = await exited(child);
    assert.equal(code, 1, stderr);
    assert.match(stderr, expected);
    assert.equal(stderr.trim().split("\n").length, 1, `one line:\n${stderr}`);
    assert.doesNotMatch(stderr, /unexpected error|\n\s+at /, "no stack");
    return { stdout, stderr };
  }

  test("the API's port is in use", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const { stdout } = await startFails(
        { api: { port }, processes: [{ id: "a", cmd: "sleep 1000", autostart: true }] },
        new RegExp(
          `^pup: REST API: 127\\.0\\.0\\.1:${port} is already in use \\(api\\.port\\); choose another port or stop the program that uses it\\n$`,
        ),
      );
      assert.doesNotMatch(stdout, /terminating|stopping every process|bye/, "nothing was running to stop");
    } finally {
      holder.close();
    }
  });

  test("api.hostname is not an address of this machine, or does not resolve", async () => {
    await startFails(
      { api: { hostname: "192.0.2.7" }, processes: [{ id: "a", cmd: "sleep 1000", autostart: true }] },
      /^pup: REST API: 192\.0\.2\.7 is not an address of this machine \(api\.hostname\)/,
    );
    await startFails(
      { api: { hostname: "no-such-host.invalid" }, processes: [{ id: "a", cmd: "sleep 1000" }] },
      /^pup: REST API: the host name "no-such-host\.invalid" does not resolve \(api\.hostname\)/,
    );
  });

  test("the configuration's folder is read-only: .pup cannot be created", async (t) => {
    const asRoot = process.getuid?.() === 0;
    if (asRoot && !othersCanReach(PUP_BIN)) {
      t.skip("this checkout lies in a folder other users cannot enter: pup cannot run as nobody from it");
      return;
    }
    // root writes anywhere: the instance runs as nobody, in a folder it may read but not write.
    if (asRoot) chmodSync(root, 0o755);
    const { stdout } = await startFails(
      { processes: [{ id: "a", cmd: "sleep 1000", autostart: true }] },
      /^pup: cannot write to .*\.pup.* \(EACCES\): an instance keeps its files beside its configuration; make the folder of .*pup\.json writable for this user\n$/,
      asRoot ? { uid: 65534 } : { uid: process.getuid?.() },
    );
    assert.equal(stdout, "", "nothing started, nothing logged");
  });

  test("a second `pup run` says which instance runs, and nothing else (nothing was stopped)", async () => {
    const { file } = project({ processes: [{ id: "a", cmd: "sleep 1000", autostart: true }] });
    const first = pup(["run", "--config", file]);
    await first.waitForOutput("[a:starting]");
    const second = await runPup(["run", "--config", file]);
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr,
      `pup: another pup instance (pid ${first.pid}) is already running for ${file}\n`,
    );
    assert.equal(second.stdout, "", "no 'terminating … bye' for an instance that never started");
    first.child.kill("SIGTERM");
    assert.equal((await first.exited).code, 0);
  });
});
