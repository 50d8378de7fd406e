import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import JSON5 from "json5";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

const { dir: root, cleanup } = tempDir();
const started: PupProcess[] = [];
after(async () => {
  for (const p of started) p.child.kill("SIGKILL");
  await Promise.all(started.map((p) => p.exited));
  cleanup();
});
let n = 0;
function project(name: string, text: string): { dir: string; file: string } {
  const dir = path.join(root, `p${++n}`);
  mkdirSync(dir);
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return { dir, file };
}
const ids = (file: string) =>
  (JSON5.parse(readFileSync(file, "utf8")).processes as Array<{ id: string }>).map((p) => p.id);
const tempFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".tmp"));

const JSONC = `// the demo's processes
{
  "name": "demo", // instance name

  "processes": [
    /* the web tier */
    {
      "id": "web",
      "cmd": "node server.js",
      "autostart": true // always up
    },
    { "id": "job", "cmd": "echo hi", "cron": "0 * * * *" }
  ]
}
`;
const JSON_TEXT = `${JSON.stringify(
  {
    processes: [
      { id: "web", cmd: "node server.js" },
      { id: "job", cmd: "echo hi" },
    ],
  },
  null,
  2,
)}\n`;

describe("pup append and pup remove keep the user's file", () => {
  for (const [name, text] of [
    ["pup.jsonc", JSONC],
    ["pup.json", JSON_TEXT],
  ] as const) {
    test(`${name}: append then remove gives back every byte; the mode is kept; no temporary file stays`, async () => {
      const { dir, file } = project(name, text);
      chmodSync(file, 0o640);
      const append = await runPup(["append", "--id", "mail", "--cmd", "node mail.js", "--autostart"], {
        cwd: dir,
      });
      assert.equal(append.code, 0, append.stderr);
      const appended = readFileSync(file, "utf8");
      assert.deepEqual(ids(file), ["web", "job", "mail"]);
      assert.ok(appended.startsWith(text.slice(0, text.lastIndexOf("}", text.lastIndexOf("]")) + 1)));
      if (name === "pup.json")
        assert.deepEqual(JSON.parse(appended).processes[2], {
          id: "mail",
          cmd: "node mail.js",
          autostart: true,
        });
      const remove = await runPup(["remove", "--id", "MAIL"], { cwd: dir });
      assert.equal(remove.code, 0, remove.stderr);
      assert.match(remove.stdout, /removed process "mail"/);
      assert.equal(readFileSync(file, "utf8"), text);
      assert.equal(statSync(file).mode & 0o777, 0o640);
      assert.deepEqual(tempFiles(dir), []);
    });
  }

  test("remove of the only process is refused in one line, and the file is left alone", async () => {
    const { dir, file } = project("pup.json", `{ "processes": [{ "id": "web", "cmd": "x" }] }\n`);
    const result = await runPup(["remove", "--id", "web"], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'pup: pup.json: cannot remove "web": it is the only process and pup run needs at least one (append another first, or delete the file)\n',
    );
    assert.equal(readFileSync(file, "utf8"), `{ "processes": [{ "id": "web", "cmd": "x" }] }\n`);
  });

  test("remove of a process that another depends on is refused: pup would refuse the result", async () => {
    const text = `{
  "processes": [
    { "id": "web", "cmd": "node s.js", "dependsOn": ["db"] },
    { "id": "db", "cmd": "postgres" }
  ]
}
`;
    const { dir, file } = project("pup.json", text);
    const result = await runPup(["remove", "--id", "db"], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'pup: pup.json: cannot remove "db": processes[0].dependsOn: "web" depends on unknown process "db"\n',
    );
    assert.equal(readFileSync(file, "utf8"), text);
  });

  test("remove of an unknown id suggests a close one", async () => {
    const { dir } = project("pup.jsonc", JSONC);
    const close = await runPup(["remove", "--id", "wbe"], { cwd: dir });
    assert.equal(close.code, 1);
    assert.equal(close.stderr, 'pup: pup.jsonc: no process with id "wbe" (did you mean "web"?)\n');
    const far = await runPup(["remove", "--id", "database"], { cwd: dir });
    assert.equal(far.code, 1);
    assert.equal(far.stderr, 'pup: pup.jsonc: no process with id "database"\n');
  });

  test("a refused append writes nothing: duplicate id, invalid value", async () => {
    const { dir, file } = project("pup.jsonc", JSONC);
    const dup = await runPup(["append", "--id", "WEB", "--cmd", "x"], { cwd: dir });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^pup: pup\.jsonc: processes\[2\]\.id: duplicate process id "WEB"/);
    const bad = await runPup(["append", "--id", "x", "--cmd", "x", "--cron", "nope"], { cwd: dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^pup: pup\.jsonc: processes\[2\]\.cron: /);
    assert.equal(bad.stderr.split("\n").length, 2, "one line");
    assert.equal(readFileSync(file, "utf8"), JSONC);
    assert.deepEqual(tempFiles(dir), []);
  });
});

describe("pup init", () => {
  test("creates pup.json that pup accepts, and never overwrites a configuration here", async () => {
    const { dir } = project("README", "");
    const init = await runPup(["init", "--id", "web", "--cmd", "node s.js", "--name", "demo"], { cwd: dir });
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, "pup.json"), "utf8")), {
      name: "demo",
      processes: [{ id: "web", cmd: "node s.js" }],
    });
    const again = await runPup(["init", "--id", "x", "--cmd", "y"], { cwd: dir });
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'pup: pup.json already exists; use "pup append" to add a process\n');

    const jsonc = project("pup.jsonc", JSONC);
    const shadowed = await runPup(["init", "--id", "x", "--cmd", "y"], { cwd: jsonc.dir });
    assert.equal(shadowed.code, 1, "a pup.json beside pup.jsonc would never be read");
    assert.match(shadowed.stderr, /pup\.jsonc already exists/);
    assert.equal(existsSync(path.join(jsonc.dir, "pup.json")), false);
  });
});

describe("a crash in the middle of an edit", () => {
  test("killed between writing the new file and renaming it: the original is intact, the leftover is cleaned up", async () => {
    const { dir, file } = project("pup.jsonc", JSONC);
    const marker = path.join(root, "paused");
    const fixture = path.join(import.meta.dirname, "fixtures", "pause-before-rename.mjs");
    const editing = new PupProcess(["append", "--id", "mail", "--cmd", "node mail.js"], {
      cwd: dir,
      env: {
        NODE_OPTIONS: `--import=${fixture}`,
        PUP_TEST_PAUSE_RENAME: file,
        PUP_TEST_PAUSE_MARKER: marker,
      },
    });
    started.push(editing);
    const temp = await waitFor(
      () => (existsSync(marker) ? readFileSync(marker, "utf8") : undefined),
      `the edit to pause before its rename\n${editing.output}`,
    );
    assert.equal(path.dirname(temp), dir, "the temporary file is in the same folder (rename stays atomic)");
    assert.deepEqual(ids(temp).at(-1), "mail", "the new text is complete before the rename");
    editing.child.kill("SIGKILL");
    await editing.exited;
    assert.equal(readFileSync(file, "utf8"), JSONC, "the original is untouched");
    assert.deepEqual(tempFiles(dir), [path.basename(temp)]);

    const retry = await runPup(["append", "--id", "mail", "--cmd", "node mail.js"], { cwd: dir });
    assert.equal(retry.code, 0, retry.stderr);
    assert.deepEqual(ids(file), ["web", "job", "mail"]);
    assert.deepEqual(tempFiles(dir), [], "the dead writer's leftover is removed");
  });
});
