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
    "--no-system",
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
    "--no-system",
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
  const userService = (command: string, options?: Parameters<typeof runPup>[1]) =>
    runPup([command, "--no-system", "--manager", "systemd", "--home", home, "--config", config], options);
  const install = await userService("enable-service", { env: { ...env } });
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
  const again = await userService("enable-service");
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists; run "pup disable-service" first/);
  const disable = await userService("disable-service");
  assert.equal(disable.code, 0, disable.stderr);
  assert.ok(!existsSync(unitPath));
  const missing = await userService("disable-service");
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no service file at/);
});

test("as root, enable-service defaults to a system service; --no-system asks for root's own", async () => {
  const root = process.getuid?.() === 0;
  const plain = await runPup(["enable-service", "--dry-run", "--manager", "systemd", "--config", config]);
  assert.equal(plain.code, 0, plain.stderr);
  if (root) {
    assert.match(plain.stdout, /^# would write \/etc\/systemd\/system\/svc-test\.service$/m);
    assert.match(plain.stdout, /^# would run: systemctl enable --now svc-test\.service$/m);
  } else {
    assert.match(plain.stdout, /^# would write .*\/\.config\/systemd\/user\/svc-test\.service$/m);
  }
  const own = await runPup([
    "enable-service",
    "--dry-run",
    "--no-system",
    "--manager",
    "systemd",
    "--home",
    home,
    "--user",
    "someone",
    "--config",
    config,
  ]);
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, /^# would write .*\/home\/\.config\/systemd\/user\/svc-test\.service$/m);
  // A user service without lingering does not start at boot: the output says what to run.
  assert.match(own.stdout, /^# note: .*loginctl enable-linger someone/m);
});

test("every manager's plan ends with the next steps: status, logs, stop, uninstall", async () => {
  for (const manager of ["systemd", "launchd", "sysvinit", "upstart", "windows"]) {
    const result = await runPup([
      "enable-service",
      "--dry-run",
      "--manager",
      manager,
      "--home",
      home,
      "--config",
      config,
    ]);
    assert.equal(result.code, 0, `${manager}: ${result.stderr}`);
    const steps = result.stdout.split("\n").filter((l) => l.startsWith("# then, "));
    assert.ok(
      steps.some((l) => l.startsWith("# then, status: ")),
      `${manager} status:\n${result.stdout}`,
    );
    assert.ok(
      steps.some((l) => l.startsWith("# then, start: ")),
      `${manager} start`,
    );
    assert.ok(
      steps.some((l) => l.startsWith("# then, stop: ")),
      `${manager} stop`,
    );
    assert.ok(steps.includes(`# then, pup's logs: pup logs --config ${config} -f`), `${manager} logs`);
    assert.ok(
      steps.some((l) => l.startsWith(`# then, uninstall: pup disable-service --config ${config}`)),
      `${manager} uninstall`,
    );
  }
});

test("an installed service prints its next steps (systemctl here is a stand-in that records its calls)", async () => {
  const bin = path.join(dir, "fake-bin");
  const calls = path.join(dir, "systemctl-calls");
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "$@" >> '${calls}'\n`, { mode: 0o755 });
  const fakeHome = path.join(dir, "home-installed");
  const install = await runPup(
    ["enable-service", "--no-system", "--manager", "systemd", "--home", fakeHome, "--config", config],
    { env: { PATH: `${bin}:${process.env.PATH}` } },
  );
  assert.equal(install.code, 0, install.stderr);
  assert.deepEqual(readFileSync(calls, "utf8").trim().split("\n"), [
    "--user daemon-reload",
    "--user enable --now svc-test.service",
  ]);
  assert.match(install.stdout, /^installed and started the service: .*svc-test\.service$/m);
  assert.match(install.stdout, /^next steps:$/m);
  assert.match(install.stdout, /^ {2}status: +systemctl --user status svc-test\.service$/m);
  assert.match(install.stdout, /^ {2}service logs: +journalctl --user -u svc-test\.service -f$/m);
  assert.match(
    install.stdout,
    /^ {2}uninstall: +pup disable-service --config \S+ --no-system --name svc-test/m,
  );
  const removed = await runPup(
    ["disable-service", "--no-system", "--manager", "systemd", "--home", fakeHome, "--config", config],
    { env: { PATH: `${bin}:${process.env.PATH}` } },
  );
  assert.equal(removed.code, 0, removed.stderr);
});

test("--env names and --user are checked: nothing reaches a service file that could run a command", async () => {
  for (const [flag, value] of [
    ["--env", "X;touch x;Y=1"],
    ["--env", "A B=1"],
    ["--env", "1A=1"],
    ["--user", "web\nExecStartPre=/bin/false"],
    ["--user", "web; touch x"],
  ]) {
    for (const manager of ["systemd", "sysvinit", "upstart"]) {
      const result = await runPup([
        "enable-service",
        "--dry-run",
        "--manager",
        manager,
        flag,
        value,
        "--config",
        config,
      ]);
      assert.equal(result.code, 1, `${manager} ${flag} ${JSON.stringify(value)}: ${result.stdout}`);
      assert.match(result.stderr, /^pup: --(env|user): .* is not a (variable|user) name/);
      assert.equal(result.stderr.trim().split("\n").length, 1, "one line");
      assert.equal(result.stdout, "", "no file printed");
    }
  }
});

test("sysvinit and upstart keep values whole: the shell reads them back exactly; upstart refuses a newline", async () => {
  const value = `it's "quoted" $HOME \`id\` \\ end`;
  const sysv = await runPup([
    "enable-service",
    "--dry-run",
    "--manager",
    "sysvinit",
    "--env",
    `TRICKY=${value}`,
    "--env",
    "MULTI=a\nb",
    "--config",
    config,
  ]);
  assert.equal(sysv.code, 0, sysv.stderr);
  const script = sysv.stdout
    .split("\n")
    .filter((l) => !l.startsWith("# would") && !l.startsWith("# then") && !l.startsWith("# note"))
    .join("\n");
  assert.equal(spawnSync("sh", ["-n"], { input: script }).status, 0, "the script parses");
  const exports = script.slice(script.indexOf("export TRICKY"), script.indexOf("\n\nstart()"));
  const read = spawnSync("sh", ["-c", `${exports}\nprintf '%s|%s' "$TRICKY" "$MULTI"`], { encoding: "utf8" });
  assert.equal(read.stdout, `${value}|a\nb`);

  const upstart = await runPup([
    "enable-service",
    "--dry-run",
    "--manager",
    "upstart",
    "--env",
    "A=1 2",
    "--config",
    config,
  ]);
  assert.equal(upstart.code, 0, upstart.stderr);
  assert.match(upstart.stdout, /^env A="1 2"$/m);
  assert.match(upstart.stdout, /^chdir \S+$/m);
  const refused = await runPup([
    "enable-service",
    "--dry-run",
    "--manager",
    "upstart",
    "--env",
    "A=1\nstart on startup",
    "--config",
    config,
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^pup: --env A contains a control character .*upstart/);
});
