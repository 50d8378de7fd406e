import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";

const { dir, cleanup } = tempDir();
after(cleanup);
const config = writeJson(path.join(dir, "pup.json"), {
  name: "svc-test",
  processes: [{ id: "a", cmd: "sleep 1000", autostart: true, terminateTimeout: 20 }],
});
const home = path.join(dir, "home");

test("enable-service --dry-run prints a valid systemd unit and changes nothing", async () => {
  const result = await runPup([
    "enable-service",
    "--dry-run",
    "--manager",
    "systemd",
    "--home",
    home,
    "--env",
    "A=1 2",
    "--config",
    config,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const unitPath = path.join(home, ".config/systemd/user/svc-test.service");
  assert.match(result.stdout, new RegExp(`^# would write ${unitPath}$`, "m"));
  assert.match(result.stdout, /^ExecStart=\S+ \S+bin\/pup\.js run --config \S+pup\.json$/m);
  assert.match(result.stdout, /^Environment="A=1 2"$/m);
  assert.match(result.stdout, /^KillMode=mixed$/m);
  assert.match(result.stdout, /^TimeoutStopSec=30$/m, "terminateTimeout 20 + 10");
  assert.match(result.stdout, /^# would run: systemctl --user enable --now svc-test\.service$/m);
  assert.ok(!existsSync(unitPath), "dry run wrote nothing");

  const unit = result.stdout
    .split("\n")
    .filter((l) => !l.startsWith("# "))
    .join("\n");
  const file = path.join(dir, "svc-test.service");
  writeFileSync(file, unit);
  const verify = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
  if (verify.error)
    throw new Error("systemd-analyze is missing: install Debian's systemd package (.ci/run does)");
  const problems = `${verify.stdout}${verify.stderr}`
    .split("\n")
    .filter((l) => l.includes("svc-test.service"));
  assert.deepEqual(problems, [], "systemd-analyze verify found problems");
});

test("system services run as the given user and go to /etc/systemd/system", async () => {
  const result = await runPup([
    "enable-service",
    "--dry-run",
    "--system",
    "--user",
    "web",
    "--name",
    "my-app",
    "--manager",
    "systemd",
    "--config",
    config,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^# would write \/etc\/systemd\/system\/my-app\.service$/m);
  assert.match(result.stdout, /^User=web$/m);
  assert.match(result.stdout, /^WantedBy=multi-user\.target$/m);
});

test("launchd, sysvinit, upstart and windows definitions", async () => {
  const launchd = await runPup([
    "enable-service",
    "--dry-run",
    "--manager",
    "launchd",
    "--home",
    home,
    "--config",
    config,
  ]);
  assert.match(launchd.stdout, /Library\/LaunchAgents\/dev\.pup\.svc-test\.plist/);
  assert.match(launchd.stdout, /<key>KeepAlive<\/key>\s*<true\/>/);
  const sysv = await runPup(["enable-service", "--dry-run", "--manager", "sysvinit", "--config", config]);
  assert.match(sysv.stdout, /^# would write \/etc\/init\.d\/svc-test$/m);
  const script = sysv.stdout
    .split("\n")
    .filter((l) => !l.startsWith("# would"))
    .join("\n");
  const syntax = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
  assert.equal(syntax.status, 0, syntax.stderr);
  const upstart = await runPup(["enable-service", "--dry-run", "--manager", "upstart", "--config", config]);
  assert.match(upstart.stdout, /^respawn$/m);
  const windows = await runPup(["enable-service", "--dry-run", "--manager", "windows", "--config", config]);
  assert.match(windows.stdout, /sc\.exe create "svc-test"/);
});

test("install writes the file and reports a failing service manager in one line; disable removes it", async () => {
  mkdirSync(home, { recursive: true });
  const env = { PATH: path.join(dir, "no-systemctl-here") + ":/usr/bin:/bin" };
  const unitPath = path.join(home, ".config/systemd/user/svc-test.service");
  const install = await runPup(
    ["enable-service", "--manager", "systemd", "--home", home, "--config", config],
    { env: { ...env } },
  );
  if (install.code === 0) {
    // A machine with a running user systemd: the service really was installed.
    assert.ok(existsSync(unitPath));
  } else {
    assert.match(
      install.stderr,
      /^pup: wrote .*svc-test\.service, but "systemctl --user daemon-reload" failed: .+\n$/,
    );
    assert.match(readFileSync(unitPath, "utf8"), /ExecStart=/);
  }
  const again = await runPup(["enable-service", "--manager", "systemd", "--home", home, "--config", config]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists; run "pup disable-service" first/);
  const disable = await runPup([
    "disable-service",
    "--manager",
    "systemd",
    "--home",
    home,
    "--config",
    config,
  ]);
  assert.equal(disable.code, 0, disable.stderr);
  assert.ok(!existsSync(unitPath));
  const missing = await runPup([
    "disable-service",
    "--manager",
    "systemd",
    "--home",
    home,
    "--config",
    config,
  ]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no service file at/);
});
