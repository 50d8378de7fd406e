import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

/** Live reload from the command line and by SIGHUP (SPEC §8.6), against a real `pup run`. */

const { dir: root, cleanup } = tempDir();
const started: PupProcess[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.kill()));
  cleanup();
});

let n = 0;
/** A folder with a commented pup.jsonc holding `processes` (JSON5 text). */
function project(processes: string): { dir: string; file: string; write: (processes: string) => void } {
  const dir = path.join(root, `r${++n}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "pup.jsonc");
  const write = (list: string) =>
    writeFileSync(
      file,
      `{\n  // reloaded by the test\n  "logger": { "console": false },\n  "processes": [${list}]\n}\n`,
    );
  write(processes);
  return { dir, file, write };
}

/** The processes by id; none while the instance is not up yet. */
async function status(file: string): Promise<Record<string, { status: number; pid?: number }>> {
  const r = await runPup(["status", "--json", "--config", file]);
  if (r.code !== 0) return {};
  const state = JSON.parse(r.stdout);
  return Object.fromEntries(state.processes.map((p: { id: string }) => [p.id, p]));
}

const KEEP = `{ "id": "keep", "cmd": "sleep 1000", "autostart": true }`;
const DROP = `{ "id": "drop", "cmd": "sleep 1001", "autostart": true }`;
const EDIT = (cmd: string) => `{ "id": "edit", "cmd": "${cmd}", "autostart": true }`;

describe("pup reload", () => {
  test("applies added, removed and changed processes; the unchanged one keeps its pid", async () => {
    const { file, write } = project([KEEP, DROP, EDIT("sleep 1002")].join(","));
    const instance = new PupProcess(["run", "--config", file]);
    started.push(instance);
    await waitFor(async () => (await status(file)).edit?.status === 200, "edit to run", 20_000);
    const before = await status(file);

    write([KEEP, EDIT("sleep 1003"), `{ "id": "new", "cmd": "sleep 1004", "autostart": true }`].join(","));
    const dry = await runPup(["reload", "--dry-run", "--json", "--config", file]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout), {
      added: ["new"],
      removed: ["drop"],
      changed: ["edit"],
      unchanged: ["keep"],
      notApplied: [],
    });
    assert.ok((await status(file)).drop, "a dry run changes nothing");

    const reload = await runPup(["reload", "--config", file]);
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(
      reload.stdout,
      /^reloaded:\n {2}added {6}new\n {2}removed {4}drop\n {2}changed {4}edit\n {2}unchanged {2}keep\n$/,
    );
    const after = await waitFor(async () => {
      const s = await status(file);
      return s.new?.status === 200 && s.edit?.status === 200 ? s : undefined;
    }, "the reload to settle");
    assert.equal(after.keep.pid, before.keep.pid, "unchanged: same pid");
    assert.notEqual(after.edit.pid, before.edit.pid, "changed: recreated");
    assert.equal(after.drop, undefined, "removed: dropped");
  });

  test("an invalid file changes nothing: exit 1 with the line pup run would print", async () => {
    const { dir, file, write } = project(KEEP);
    const instance = new PupProcess(["run", "--config", file]);
    started.push(instance);
    await waitFor(async () => (await status(file)).keep?.status === 200, "keep to run", 20_000);
    const pid = (await status(file)).keep.pid;
    write(`{ "id": "keep", "cmd": "sleep 1000", "restart": "sometimes" }`);
    const reload = await runPup(["reload"], { cwd: dir });
    const run = await runPup(["run"], { cwd: dir });
    assert.equal(reload.code, 1);
    assert.equal(
      reload.stderr,
      'pup: pup.jsonc: processes[0].restart: expected "always" or "error", got "sometimes"\n',
    );
    assert.equal(reload.stderr, run.stderr, "the same one line as pup run");
    // Valid, with nothing to run: refused too, in the same words.
    write("");
    const empty = await runPup(["reload"], { cwd: dir });
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr, "pup: pup.jsonc: processes: nothing to run\n");
    assert.equal(empty.stderr, (await runPup(["run"], { cwd: dir })).stderr, "the same one line as pup run");
    assert.equal((await status(file)).keep.pid, pid, "still running as before");
  });

  test("SIGHUP reloads; an invalid file under SIGHUP is logged and changes nothing", async () => {
    const { dir, file, write } = project(KEEP);
    const instance = new PupProcess(["run", "--config", file]);
    started.push(instance);
    await waitFor(async () => (await status(file)).keep?.status === 200, "keep to run", 20_000);
    write(`${KEEP}, { "id": "hup", "cmd": "sleep 1005", "autostart": true }`);
    instance.child.kill("SIGHUP");
    await waitFor(async () => (await status(file)).hup?.status === 200, "hup added by SIGHUP");
    write(`{ "id": "keep", "cmd": 5 }`);
    instance.child.kill("SIGHUP");
    await waitFor(async () => {
      const logs = await runPup(["logs", "--config", file, "-n", "20"], { cwd: dir });
      return /SIGHUP: not reloaded: pup\.jsonc: processes\[0\]\.cmd/.test(logs.stdout);
    }, "the refusal in the log");
    const now = await status(file);
    assert.equal(now.hup?.status, 200, "the valid configuration keeps running");
    assert.equal(instance.child.exitCode, null, "SIGHUP never stops the instance");
  });

  test("an instance run without a file has nothing to reload: exit 1 with one line, and it runs on", async () => {
    const dir = path.join(root, "solo");
    mkdirSync(dir, { recursive: true });
    const instance = new PupProcess(["run", "--autostart", "--id", "solo", "--", "sleep", "1000"], {
      cwd: dir,
    });
    started.push(instance);
    await instance.waitForOutput("[solo:starting]", 20_000);
    const r = await waitFor(async () => {
      const attempt = await runPup(["reload"], { cwd: dir });
      return /no running instance/.test(attempt.stderr) ? undefined : attempt;
    }, "the instance to answer");
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "pup: this instance runs without a configuration file: there is nothing to reload\n",
    );
    assert.equal(instance.child.exitCode, null);
  });
});
