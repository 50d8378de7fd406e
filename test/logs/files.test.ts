import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import type { PupConfigInput } from "../../src/config/schema.ts";
import { createLogger } from "../../src/instance/logging.ts";
import type { LogEntry, LogLines } from "../../src/logs/entry.ts";
import { RotatingFileAppender } from "../../src/logs/rotating-file-appender.ts";
import { tempDir } from "../helpers/tmp.ts";

const { dir: root, cleanup } = tempDir("pup-files-");
after(cleanup);

let n = 0;
function folder(): string {
  const dir = path.join(root, `f${++n}`);
  mkdirSync(dir);
  return dir;
}

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const e = (
  processId: string,
  severity: LogEntry["severity"],
  text: string,
  category = "stdout",
): LogEntry => ({
  processId,
  severity,
  category,
  text,
  timeStamp: T,
});

/** Writes the entries through the instance's logger built from `config`, then closes it. */
async function logThrough(
  config: Omit<PupConfigInput, "processes"> & { processes: object[] },
  entries: LogEntry[],
) {
  const dir = folder();
  const logger = createLogger(validateConfig(config as PupConfigInput, "test"), dir);
  for (const entry of entries) logger.write(entry);
  await logger.close();
  const read = (file: string) =>
    existsSync(path.join(dir, file)) ? readFileSync(path.join(dir, file), "utf8") : undefined;
  return { dir, read };
}

describe("log files (SPEC §2.4)", () => {
  test("global files get every entry, process files their process's; errors go to stderr, else stdout's file", async () => {
    const { read } = await logThrough(
      {
        logger: { console: false, stdout: "all.log", stderr: "all.err" },
        processes: [
          { id: "web", cmd: "x", logger: { stdout: "web.log" } },
          { id: "db", cmd: "x", logger: { stdout: "db.log", stderr: "db.err" } },
          { id: "quiet", cmd: "x" },
        ],
      },
      [
        e("web", "log", "web out"),
        e("web", "error", "web err", "stderr"),
        e("db", "log", "db out"),
        e("db", "error", "db err", "stderr"),
        e("quiet", "log", "quiet out"),
        e("core", "info", "core says", "init"),
      ],
    );
    const d = (sev: string, id: string, cat: string, text: string) =>
      `2026-01-02T03:04:05.678Z [${sev}] [${id}:${cat}] ${text}`;
    // Global files: decorated by default (decorateFiles defaults to decorate, true).
    assert.equal(
      read("all.log"),
      [
        d("LOG", "web", "stdout", "web out"),
        d("LOG", "db", "stdout", "db out"),
        d("LOG", "quiet", "stdout", "quiet out"),
        d("INFO", "core", "init", "core says"),
      ]
        .map((l) => `${l}\n`)
        .join(""),
    );
    assert.equal(
      read("all.err"),
      `${d("ERROR", "web", "stderr", "web err")}\n${d("ERROR", "db", "stderr", "db err")}\n`,
    );
    // Process files: plain by default; without a stderr file, errors go to the stdout file.
    assert.equal(read("web.log"), "web out\nweb err\n");
    assert.equal(read("db.log"), "db out\n");
    assert.equal(read("db.err"), "db err\n");
  });

  test("without a global stderr file, global errors go to its stdout file; decorateFiles is honoured", async () => {
    const { read } = await logThrough(
      {
        logger: { console: false, stdout: "all.log", decorate: true, decorateFiles: false },
        processes: [{ id: "web", cmd: "x", logger: { stdout: "web.log", decorateFiles: true } }],
      },
      [e("web", "log", "out"), e("web", "error", "err", "stderr")],
    );
    assert.equal(read("all.log"), "out\nerr\n");
    assert.equal(
      read("web.log"),
      "2026-01-02T03:04:05.678Z [LOG] [web:stdout] out\n2026-01-02T03:04:05.678Z [ERROR] [web:stderr] err\n",
    );
  });

  test("decorate: false makes global files plain unless decorateFiles says otherwise", async () => {
    const { read } = await logThrough(
      { logger: { console: false, stdout: "all.log", decorate: false }, processes: [{ id: "a", cmd: "x" }] },
      [e("a", "log", "plain")],
    );
    assert.equal(read("all.log"), "plain\n");
  });

  test("cluster instances write to their process's files; lines are never coloured in files", async () => {
    const { read } = await logThrough(
      {
        logger: { console: false, colors: true },
        processes: [
          { id: "c", cmd: "x", cluster: { instances: 2 }, logger: { stdout: "c.log", decorateFiles: true } },
        ],
      },
      [e("c-1", "log", "one"), e("c-2", "error", "two", "stderr")],
    );
    const text = read("c.log")!;
    assert.match(text, /\[c-1:stdout\] one\n.*\[c-2:stderr\] two\n$/);
    assert.ok(!text.includes("\x1b["), "no colour codes in files");
  });
});

describe("lines read together (a child's burst)", () => {
  test("reach every file exactly as the same lines one entry at a time would", async () => {
    const config = {
      logger: { console: false, stdout: "all.log", stderr: "all.err" },
      processes: [
        { id: "web", cmd: "x", logger: { stdout: "web.log" } },
        { id: "db", cmd: "x", logger: { stdout: "db.log", stderr: "db.err", decorateFiles: true } },
      ],
    };
    const groups: LogLines[] = [
      ["web", "log", "stdout", ["a", "b ünï", ""]],
      ["db", "error", "stderr", ["oops", "trace"]],
      ["web", "error", "stderr", ["web err \x07 \x1b[2J \x1b[31mred\x1b[0m"]],
      ["db", "log", "stdout", ["db 1", "db 2", "db 3"]],
    ].map(([processId, severity, category, texts]) => ({
      processId: processId as string,
      severity: severity as LogEntry["severity"],
      category: category as string,
      timeStamp: T,
      bytes: Buffer.from((texts as string[]).map((t) => `${t}\n`).join("")),
      count: texts.length,
    }));
    const entries = groups.flatMap((g) =>
      g.bytes
        .toString()
        .split("\n")
        .slice(0, -1)
        .map((text) => e(g.processId, g.severity, text, g.category)),
    );
    const one = await logThrough(config, entries);
    const dir = folder();
    const logger = createLogger(validateConfig(config as PupConfigInput, "test"), dir);
    for (const g of groups) logger.writeLines(g);
    await logger.close();
    for (const file of ["all.log", "all.err", "web.log", "db.log", "db.err"]) {
      const together = readFileSync(path.join(dir, file), "utf8");
      assert.equal(together, one.read(file), file);
      assert.ok(together.length > 0, `${file} written`);
    }
    // An undecorated file holds the child's output as it wrote it, controls and all.
    assert.equal(
      readFileSync(path.join(dir, "web.log"), "utf8"),
      "a\nb ünï\n\nweb err \x07 \x1b[2J \x1b[31mred\x1b[0m\n",
    );
  });
});

describe("rotation", () => {
  test("app.log → app.log.1 … app.log.N; the oldest beyond maxFiles is deleted", async () => {
    const dir = folder();
    const file = path.join(dir, "app.log");
    const appender = new RotatingFileAppender(file, { onError: assert.fail, maxBytes: 100, maxFiles: 2 });
    const line = (i: number) => `${String(i).padStart(2, "0")} ${"x".repeat(36)}\n`; // 40 bytes
    for (let i = 0; i < 10; i++) {
      appender.write(line(i));
      await appender.flush();
    }
    await appender.close();
    // Two lines (80 bytes) fit in 100; the third starts a new file.
    assert.equal(readFileSync(file, "utf8"), line(8) + line(9));
    assert.equal(readFileSync(`${file}.1`, "utf8"), line(6) + line(7));
    assert.equal(readFileSync(`${file}.2`, "utf8"), line(4) + line(5));
    assert.ok(!existsSync(`${file}.3`));
  });

  test("an existing file over the limit is rotated at the first write; maxBytes 0 never rotates", async () => {
    const dir = folder();
    const file = path.join(dir, "app.log");
    writeFileSync(file, "y".repeat(500));
    const rotating = new RotatingFileAppender(file, { onError: assert.fail, maxBytes: 100, maxFiles: 3 });
    rotating.write("new\n");
    await rotating.close();
    assert.equal(readFileSync(file, "utf8"), "new\n");
    assert.equal(readFileSync(`${file}.1`, "utf8"), "y".repeat(500));

    const never = new RotatingFileAppender(file, { onError: assert.fail, maxBytes: 0, maxFiles: 3 });
    never.write("z".repeat(1000));
    await never.close();
    assert.equal(readFileSync(file, "utf8").length, 1004);
    assert.ok(!existsSync(`${file}.2`));
  });

  test("maxFileSizeMb and maxFiles from the configuration: process settings, else global, else defaults", async () => {
    const line = "0123456789".repeat(10); // 100 characters + newline
    const entries: LogEntry[] = [];
    for (let i = 0; i < 60; i++) entries.push(e("a", "log", line), e("b", "log", line));
    const dir = folder();
    const config = validateConfig(
      {
        logger: { console: false, maxFileSizeMb: 1000 / (1024 * 1024), maxFiles: 2 },
        processes: [
          { id: "a", cmd: "x", logger: { stdout: "a.log", maxFiles: 4 } },
          { id: "b", cmd: "x", logger: { stdout: "b.log", maxFileSizeMb: 0 } },
        ],
      },
      "test",
    );
    const logger = createLogger(config, dir);
    for (const entry of entries) {
      logger.write(entry);
      await logger.flush();
    }
    await logger.close();
    const f = (name: string) => path.join(dir, name);
    // a: 1000-byte files (global size), 4 kept (its own maxFiles).
    for (const name of ["a.log", "a.log.1", "a.log.2", "a.log.3", "a.log.4"])
      assert.ok(existsSync(f(name)), name);
    assert.ok(!existsSync(f("a.log.5")));
    assert.equal(readFileSync(f("a.log.1"), "utf8").length, 909);
    // b: rotation off.
    assert.equal(readFileSync(f("b.log"), "utf8").length, 60 * 101);
    assert.ok(!existsSync(f("b.log.1")));
  });
});
