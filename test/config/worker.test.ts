import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import { PupProcess } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";

const { dir, cleanup } = tempDir();
const started: PupProcess[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.kill()));
  cleanup();
});

test("worker is a file name or [file, ...args]; anything else is refused with what is expected", () => {
  const parse = (worker: unknown) =>
    validateConfig({ processes: [{ id: "w", worker }] }, "pup.json").processes[0].worker;
  assert.deepEqual(parse("job.js"), ["job.js"]);
  assert.deepEqual(parse(["job.js", "--fast"]), ["job.js", "--fast"]);
  assert.throws(
    () => parse(5),
    /^ConfigError: pup\.json: processes\[0\]\.worker: expected a file name or an array \["file\.js", \.\.\.args\]$/,
  );
  assert.throws(() => parse([]), /processes\[0\]\.worker: expected at least 1 item/);
});

test("a worker given as a string runs, as the README's table says", async () => {
  writeFileSync(path.join(dir, "job.js"), 'console.log("worker says hello");\n');
  writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }');
  const file = writeJson(path.join(dir, "pup.json"), {
    processes: [{ id: "job", worker: "job.js", autostart: true, restart: "error" }],
  });
  const pup = new PupProcess(["run", "--config", file]);
  started.push(pup);
  await pup.waitForOutput("[job:stdout] worker says");
  await pup.waitForOutput("[job:finished]");
  pup.child.kill("SIGTERM");
  assert.equal((await pup.exited).code, 0, pup.output);
});
