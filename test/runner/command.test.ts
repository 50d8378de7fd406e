import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parseCommand, splitArgv } from "../../src/runner/command.ts";
import { LineSplitter } from "../helpers/line-splitter.ts";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";

test("commands without shell syntax are split into argv, quotes honoured", () => {
  assert.deepEqual(parseCommand("node server.js --port 3000"), {
    kind: "argv",
    file: "node",
    args: ["server.js", "--port", "3000"],
  });
  assert.deepEqual(parseCommand(`echo "a b" 'c d' e\\ f`), {
    kind: "argv",
    file: "echo",
    args: ["a b", "c d", "e f"],
  });
  assert.deepEqual(parseCommand(`sh -c 'echo 1; exit 3'`), {
    kind: "argv",
    file: "sh",
    args: ["-c", "echo 1; exit 3"],
  });
  assert.deepEqual(splitArgv(`a "unbalanced`), undefined);
});

test("shell syntax runs under /bin/sh -c", () => {
  for (const cmd of [
    "a && b",
    "a | b",
    "echo $HOME",
    "FOO=1 node x",
    "echo *.js",
    "a > out",
    "echo `date`",
    `echo "$X"`,
  ]) {
    assert.equal(parseCommand(cmd).kind, "shell", cmd);
  }
});

test("a command that begins with a shell keyword or builtin runs under /bin/sh -c", () => {
  for (const cmd of [
    "exec node app.js",
    "cd /srv/app",
    ". ./env.sh",
    "source ./env.sh",
    "ulimit -n 4096",
    "umask 077",
    "set -e",
    "export A=1",
    "eval echo hi",
    "trap '' HUP",
    "time node app.js",
    "if true",
    "while true",
    "! false",
  ]) {
    assert.deepEqual(parseCommand(cmd), { kind: "shell", script: cmd }, cmd);
  }
  // A program whose name merely starts like one is still spawned directly.
  assert.equal(parseCommand("executor --x").kind, "argv");
  assert.equal(parseCommand("node exec").kind, "argv");
});

test("`exec node …` runs, as the program itself (the shell replaces itself)", async () => {
  const { dir, cleanup } = tempDir();
  writeFileSync(path.join(dir, "app.js"), "console.log('pid ' + process.pid); setInterval(() => {}, 1000);");
  const file = writeJson(path.join(dir, "pup.json"), {
    processes: [{ id: "a", cmd: "exec node app.js", autostart: true }],
  });
  const p = new PupProcess(["run", "--config", file]);
  try {
    await p.waitForOutput(/\[a:stdout\] pid \d+/);
    const pid = Number(/\[a:stdout\] pid (\d+)/.exec(p.stdout)![1]);
    const status = await runPup(["status", "--json", "--config", file]);
    assert.equal(JSON.parse(status.stdout).processes[0].pid, pid);
  } finally {
    await p.kill();
    cleanup();
  }
  assert.doesNotMatch(p.output, /ENOENT/);
});

test("line splitter: partial chunks, CRLF, split multi-byte characters, a last line without newline", () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push(Buffer.from("hel")), []);
  assert.deepEqual(s.push(Buffer.from("lo\r\nwor")), ["hello"]);
  const euro = Buffer.from("€\n");
  assert.deepEqual(s.push(euro.subarray(0, 1)), []);
  assert.deepEqual(s.push(euro.subarray(1)), ["wor€"]);
  assert.deepEqual(s.push(Buffer.from("\n\nlast")), ["", ""]);
  assert.equal(s.end(), "last");
  assert.equal(s.end(), undefined);
});
