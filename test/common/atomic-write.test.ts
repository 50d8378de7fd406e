import assert from "node:assert/strict";
import {
  chmodSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { removeStaleTempFiles, writeFileAtomic } from "../../src/common/atomic-write.ts";
import { tempDir } from "../helpers/tmp.ts";

const { dir: root, cleanup } = tempDir();
after(cleanup);
let n = 0;
function fresh(content = "old\n"): string {
  const file = path.join(root, `f${++n}.json`);
  writeFileSync(file, content);
  return file;
}
const leftovers = () => readdirSync(root).filter((name) => name.endsWith(".tmp"));

describe("writeFileAtomic", () => {
  test("replaces the content and keeps the file's mode, whatever the umask", () => {
    const file = fresh();
    chmodSync(file, 0o640);
    const umask = process.umask(0o077);
    try {
      writeFileAtomic(file, "new\n");
    } finally {
      process.umask(umask);
    }
    assert.equal(readFileSync(file, "utf8"), "new\n");
    assert.equal(statSync(file).mode & 0o7777, 0o640);
    assert.deepEqual(leftovers(), []);
  });

  test("exclusive: creates a new file, refuses an existing one and leaves it as it was", () => {
    const file = path.join(root, "created.json");
    writeFileAtomic(file, "first\n", { exclusive: true });
    assert.equal(readFileSync(file, "utf8"), "first\n");
    assert.throws(() => writeFileAtomic(file, "second\n", { exclusive: true }), { code: "EEXIST" });
    assert.equal(readFileSync(file, "utf8"), "first\n");
    assert.deepEqual(leftovers(), []);
  });

  test("expect: a file changed by someone else meanwhile is not overwritten", () => {
    const file = fresh("theirs\n");
    assert.throws(() => writeFileAtomic(file, "mine\n", { expect: "what I read\n" }), { code: "ECHANGED" });
    assert.equal(readFileSync(file, "utf8"), "theirs\n");
    assert.deepEqual(leftovers(), []);
  });

  test("a symbolic link stays a link; its target gets the new content", () => {
    const target = fresh();
    const link = path.join(root, "link.json");
    symlinkSync(target, link);
    writeFileAtomic(link, "through the link\n");
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readFileSync(target, "utf8"), "through the link\n");
  });

  test("temporary files of dead writers are removed; those of live ones and other files are not", () => {
    const file = fresh();
    const base = path.basename(file);
    const dead = `.${base}.999999999-1.tmp`;
    const live = `.${base}.${process.pid}-77.tmp`;
    const other = `.other.json.999999999-1.tmp`;
    for (const name of [dead, live, other]) writeFileSync(path.join(root, name), "partial");
    assert.deepEqual(removeStaleTempFiles(file), [dead]);
    assert.deepEqual(leftovers().sort(), [live, other].sort());
  });
});
