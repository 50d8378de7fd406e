import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { acquireLock, lockHolder } from "../../src/instance/lock.ts";
import { instancePaths } from "../../src/instance/paths.ts";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { alive, waitFor } from "../helpers/wait.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { dir: root, cleanup } = tempDir();
const started: PupProcess[] = [];
const others: ChildProcess[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.kill()));
  for (const child of others) if (child.exitCode === null) child.kill("SIGKILL");
  cleanup();
});

let n = 0;
function project(): { dir: string; file: string } {
  const dir = path.join(root, `p${++n}`);
  mkdirSync(dir, { recursive: true });
  const file = writeJson(path.join(dir, "pup.json"), {
    processes: [{ id: "a", cmd: "sleep 1000", autostart: true }],
  });
  return { dir, file };
}
function pup(args: string[]): PupProcess {
  const p = new PupProcess(args);
  started.push(p);
  return p;
}
const deadPid = () => spawnSync("true").pid!;

describe("one instance per configuration file", () => {
  test("the lock holds the owner's pid and start time, written whole", () => {
    const { file } = project();
    const paths = instancePaths(file);
    mkdirSync(paths.tempDir, { recursive: true });
    const release = acquireLock(paths.lockFile, file);
    const owner = JSON.parse(readFileSync(paths.lockFile, "utf8"));
    const stat = readFileSync("/proc/self/stat", "latin1");
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.startTime, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    release();
    assert.equal(lockHolder(paths.lockFile), undefined);
  });

  test("a folder where the lock goes: pup run names it in one line", async () => {
    const { file } = project();
    mkdirSync(instancePaths(file).lockFile, { recursive: true });
    const r = await runPup(["run", "--config", file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^pup: cannot write the instance lock .*\.main\.lock \(EISDIR\)\n$/);
  });

  test("through a symbolic link it is the same instance: same lock, same files", async () => {
    const { dir, file } = project();
    const alias = path.join(dir, "alias.json");
    symlinkSync("pup.json", alias);
    // A link from another folder names the same file, and so the same instance.
    const elsewhere = path.join(root, `elsewhere${n}`);
    mkdirSync(elsewhere);
    const farAlias = path.join(elsewhere, "app.json");
    symlinkSync(file, farAlias);
    assert.deepEqual(instancePaths(farAlias), instancePaths(file));

    const first = pup(["run", "--config", file]);
    await first.waitForOutput("[a:starting]");
    for (const name of [alias, farAlias]) {
      const second = await runPup(["run", "--config", name]);
      assert.equal(second.code, 1, second.stdout);
      assert.equal(
        second.stderr,
        `pup: another pup instance (pid ${first.pid}) is already running for ${file}\n`,
      );
      const status = await runPup(["status", "--json", "--config", name]);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).pid, first.pid);
    }
    first.child.kill("SIGTERM");
    assert.equal((await first.exited).code, 0);
  });

  test("two `pup run` started at the same moment: exactly one runs, the other names it (also over a stale lock)", async () => {
    const { file } = project();
    for (let round = 0; round < 3; round++) {
      const pair = [pup(["run", "--config", file]), pup(["run", "--config", file])];
      const loser = await Promise.race(pair.map((p) => p.exited.then(() => p)));
      const winner = pair.find((p) => p !== loser)!;
      assert.equal((await loser.exited).code, 1, loser.output);
      assert.match(
        loser.stderr,
        new RegExp(`^pup: another pup instance \\(pid ${winner.pid}\\) is already running`),
      );
      await winner.waitForOutput("[a:starting]");
      const status = await runPup(["status", "--json", "--config", file]);
      assert.equal(JSON.parse(status.stdout).pid, winner.pid);
      // Killed, it leaves its lock behind for the next round's pair to take over.
      winner.child.kill("SIGKILL");
      await winner.exited;
      await waitFor(() => !alive(winner.pid), "the killed instance to be gone");
    }
  });

  test("a stale lock whose pid now belongs to another (node) process does not block", async () => {
    const { file } = project();
    const first = pup(["run", "--config", file]);
    await first.waitForOutput("[a:starting]");
    first.child.kill("SIGKILL");
    await first.exited;
    // The pid is taken again, by a node process that is no pup instance.
    const squatter = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    others.push(squatter);
    const { lockFile } = instancePaths(file);
    writeFileSync(lockFile, readFileSync(lockFile, "utf8").replace(String(first.pid), String(squatter.pid)));
    assert.equal(lockHolder(lockFile), undefined);
    const next = pup(["run", "--config", file]);
    await next.waitForOutput("[a:starting]");
    next.child.kill("SIGTERM");
    assert.equal((await next.exited).code, 0);
  });

  test("many takers of a stale lock at once: never two holders", async () => {
    const { file } = project();
    const paths = instancePaths(file);
    mkdirSync(paths.tempDir, { recursive: true });
    const inside = path.join(paths.tempDir, "inside");
    const go = path.join(paths.tempDir, "go");
    const stale = String(deadPid());
    writeFileSync(paths.lockFile, stale);
    const contender = path.join(HERE, "fixtures", "lock-contender.ts");
    const workers = Array.from({ length: 4 }, () => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", contender, paths.lockFile, inside, go, "2000", stale],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      others.push(child);
      let out = "";
      child.stdout!.on("data", (d) => {
        out += d;
      });
      const done = new Promise<string>((resolve) => child.once("exit", () => resolve(out)));
      return { ready: () => out.startsWith("ready\n"), done };
    });
    await waitFor(() => workers.every((w) => w.ready()), "the contenders to be ready", 30_000);
    writeFileSync(go, "");
    const counts = (await Promise.all(workers.map((w) => w.done))).map(
      (out) => JSON.parse(out.slice("ready\n".length)) as { wins: number; overlaps: number },
    );
    const wins = counts.reduce((sum, c) => sum + c.wins, 0);
    assert.ok(wins >= 10, `the lock changed hands (${wins} times)`);
    assert.deepEqual(
      counts.map((c) => c.overlaps),
      [0, 0, 0, 0],
      `two holders at once: ${JSON.stringify(counts)}`,
    );
  });
});
