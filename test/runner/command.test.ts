import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommand, splitArgv } from "../../src/runner/command.ts";
import { LineSplitter } from "../helpers/line-splitter.ts";

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
