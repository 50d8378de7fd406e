import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import type { ApplicationState } from "../../src/api/state.ts";
import { PupProcess, ROOT, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

/*
 * A managed app in a project of its own, outside this repository, gets the telemetry library the
 * way the README says: pup in its dependencies (`npm install /path/to/pup`), then the README's own
 * snippet runs under pup and reports.
 */

const { dir, cleanup } = tempDir("pup-app-");
let instance: PupProcess | undefined;
after(async () => {
  await instance?.kill();
  cleanup();
});

const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const snippet = /^```js\n([\s\S]*?)^```$/m.exec(README)?.[1];
/** How the README says an app gets pup: `npm install /path/to/pup`. */
const install = /`npm install (\/path\/to\/pup)`/.exec(README);

test("the README's telemetry snippet works in a project that added pup as the README says", async () => {
  assert.ok(snippet?.includes('from "pup/telemetry"'), "the README shows how a managed process imports it");
  assert.ok(install, "the README says how the app gets the library");
  assert.match(README, /at the version of the instance that runs it/, "and which version");
  const app = path.join(dir, "app");
  mkdirSync(app);
  writeJson(path.join(app, "package.json"), { name: "app", private: true, type: "module" });
  // The snippet, then the app's own work (a server, a loop…) that keeps it running.
  writeFileSync(path.join(app, "app.js"), `${snippet}\nsetInterval(() => {}, 60_000);\n`);

  const without = spawnSync(process.execPath, ["app.js"], { cwd: app, encoding: "utf8" });
  assert.notEqual(without.status, 0);
  assert.match(without.stderr, /Cannot find package 'pup'/, "without pup installed, the import fails");

  // The README's `npm install /path/to/pup` with this checkout's path: npm links it. Without its
  // `prepare` here: the checkout is built already, and rebuilding it would rewrite dist/ under
  // the other tests.
  const spec = install![1].replace("/path/to/pup", ROOT);
  execFileSync("npm", ["install", "--ignore-scripts", "--offline", "--no-audit", "--no-fund", spec], {
    cwd: app,
    env: { ...process.env, npm_config_cache: path.join(dir, "npm-cache") },
    stdio: "pipe",
  });
  const manifest = JSON.parse(readFileSync(path.join(app, "package.json"), "utf8"));
  assert.ok(manifest.dependencies?.pup, "pup is a dependency of the app");
  assert.ok(existsSync(path.join(app, "node_modules", "pup", "dist", "telemetry", "index.js")));

  writeJson(path.join(app, "pup.json"), { processes: [{ id: "app", cmd: "node app.js", autostart: true }] });
  instance = new PupProcess(["run"], { cwd: app });
  const reported = await waitFor(
    async () => {
      const status = await runPup(["status", "--json"], { cwd: app });
      if (status.code !== 0) return undefined;
      const state = JSON.parse(status.stdout) as ApplicationState;
      return state.processes.find((p) => p.id === "app" && p.telemetry !== undefined);
    },
    "the app's first memory report",
    20_000,
  );
  assert.equal(typeof (reported.telemetry as { memory?: { rss?: unknown } }).memory?.rss, "number");
  assert.equal(reported.restarts, 0, `the snippet ran without failing:\n${instance.output}`);
});
