import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { type ServiceFacts, serviceFile } from "../../src/service/templates.ts";
import { tempDir } from "../helpers/tmp.ts";

const { dir, cleanup } = tempDir();
after(cleanup);

/** A folder whose name holds a space and systemd specifiers (`%n`, `%h`) and a `$`. */
const awkward = path.join(dir, "my app %n %h $HOME");
mkdirSync(awkward);
const nodePath = path.join(awkward, "node bin");
symlinkSync(process.execPath, nodePath);
const configPath = path.join(awkward, "pup.json");
writeFileSync(configPath, "{}");

function facts(env: Record<string, string>): ServiceFacts {
  return {
    name: "awkward",
    system: true,
    user: "root",
    home: "/root",
    nodePath,
    pupBin: path.join(awkward, "pup.js"),
    configPath,
    workingDirectory: awkward,
    env,
    stopTimeout: 40,
  };
}

/** `systemd-analyze verify` of a unit's text: its complaints about this unit. */
function verify(content: string): string[] {
  const file = path.join(dir, "awkward.service");
  writeFileSync(file, content);
  const result = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
  if (result.error) throw new Error("systemd-analyze is missing: install Debian's systemd package");
  return `${result.stdout}${result.stderr}`.split("\n").filter((l) => l.includes("awkward"));
}

test("a systemd unit for a folder with a space, % and $ passes systemd-analyze verify", () => {
  const unit = serviceFile("systemd", facts({ A: "1 2" })).content;
  // The command is found (a specifier or a quote in it would name another, missing file).
  assert.deepEqual(verify(unit), []);
  // WorkingDirectory takes the rest of the line: no quotes, specifiers escaped.
  assert.ok(unit.includes(`\nWorkingDirectory=${awkward.replace(/%/g, "%%")}\n`), unit);
  // `$` doubled in the arguments (expanded there), not in the program's path (which is not).
  assert.match(unit, /^ExecStart="[^"]*my app %%n %%h \$HOME\/node bin" /m);
  assert.match(unit, / "[^"]*my app %%n %%h \$\$HOME\/pup\.json"$/m);
});

test("an --env value cannot add a directive to a systemd unit, nor expand a specifier", () => {
  const unit = serviceFile(
    "systemd",
    facts({ EVIL: 'x"\nExecStartPre=/bin/false\n', PCT: "%n %h", DOLLAR: "$HOME \\" }),
  ).content;
  assert.deepEqual(verify(unit), []);
  const directives = unit.split("\n").filter((l) => /^[A-Za-z]+=/.test(l));
  assert.ok(!directives.some((l) => l.startsWith("ExecStartPre")), unit);
  assert.ok(unit.includes('\nEnvironment="EVIL=x\\"\\nExecStartPre=/bin/false\\n"\n'), unit);
  assert.ok(unit.includes('\nEnvironment="PCT=%%n %%h"\n'), unit);
  // Environment= does not expand $: it stays as it is; a backslash is escaped.
  assert.ok(unit.includes('\nEnvironment="DOLLAR=$HOME \\\\"\n'), unit);
});

test("a folder systemd cannot name is refused in one line, not written", () => {
  assert.throws(
    () => serviceFile("systemd", { ...facts({}), workingDirectory: `${dir}/a\nb` }),
    /the configuration's folder contains a control character/,
  );
});
