import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import type { PupConfigInput } from "../../src/config/schema.ts";
import { createLogger } from "../../src/instance/logging.ts";
import { FileAppender } from "../../src/logs/file-appender.ts";
import { tempDir } from "../helpers/tmp.ts";
import { fillDisk, freeDisk, mountTmpfs } from "../helpers/tmpfs.ts";
import { sleep, waitFor } from "../helpers/wait.ts";

/* A log file that fails is reported, retried and written again; one that is removed is created again. */

const { dir: root, cleanup } = tempDir("pup-file-faults-");
const cleanups: Array<() => void> = [];
after(() => {
  for (const c of cleanups) c();
  cleanup();
});

const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

describe("log files: failures", () => {
  test("a full disk: reported once to the other sinks, the lines kept; written when space returns", async (t) => {
    const mnt = path.join(root, "full");
    const fs = mountTmpfs(mnt, "1m");
    if (!fs.mounted) return t.skip(fs.reason);
    cleanups.push(fs.unmount);
    const appLog = path.join(mnt, "app.log");
    const pupLog = path.join(root, "pup.log");
    const config: PupConfigInput = {
      logger: { console: false, stdout: pupLog },
      processes: [{ id: "app", cmd: "x", logger: { stdout: appLog } }],
    };
    const logger = createLogger(validateConfig(config, "test"), root);
    // 100 bytes a line: what fits in the file's last page still goes in on a full tmpfs.
    const during = (i: number) => `during ${i} ${"x".repeat(90)}`;
    const line = (text: string) => ({
      processId: "app",
      severity: "log" as const,
      category: "stdout",
      text,
      timeStamp: Date.now(),
    });
    try {
      logger.write(line("before"));
      await logger.flush();
      const filler = fillDisk(mnt);
      for (let i = 0; i < 100; i++) logger.write(line(during(i)));
      await waitFor(() => /cannot write to the log file .*app\.log: ENOSPC/.test(read(pupLog)), "the report");
      for (let i = 100; i < 200; i++) assert.equal(logger.write(line(during(i))), true, "nobody waits");
      const failing = logger.health().files.find((f) => f.path === appLog);
      assert.equal(failing?.ok, false, JSON.stringify(logger.health()));
      assert.equal(failing?.error, "ENOSPC");

      freeDisk(filler);
      logger.write(line("after"));
      await waitFor(() => read(appLog).includes("after\n"), "the file to be written again", 15_000);
      const expected = ["before", ...Array.from({ length: 200 }, (_, i) => during(i)), "after"];
      assert.deepEqual(read(appLog).split("\n").slice(0, -1), expected, "every line, in order, none split");
      const reports = () => read(pupLog).match(/\[core:logger\].*app\.log.*/g) ?? [];
      await waitFor(() => reports().length >= 2, "the recovery to be reported");
      assert.equal(reports().length, 2, reports().join("\n"));
      assert.match(reports()[1], /is written again/);
      assert.equal(logger.health().files.find((f) => f.path === appLog)?.ok, true);
    } finally {
      await logger.close();
    }
  });

  test("a log file removed or moved away (logrotate) is created again within a second", async () => {
    const file = path.join(root, "rotated", "app.log");
    const reports: string[] = [];
    const appender = new FileAppender(file, { onError: (m) => reports.push(m) });
    try {
      appender.write("one\n");
      await appender.flush();
      rmSync(file);
      await sleep(1100);
      appender.write("two\n");
      await appender.flush();
      assert.equal(read(file), "two\n", "a new file after the old one was removed");
      renameSync(file, `${file}.1`);
      await sleep(1100);
      appender.write("three\n");
      await appender.flush();
      assert.equal(read(file), "three\n", "a new file after the old one was moved away");
      assert.equal(read(`${file}.1`), "two\n");
      assert.equal(reports.filter((r) => /removed or moved away/.test(r)).length, 2, reports.join("\n"));
    } finally {
      await appender.close();
    }
  });
});
