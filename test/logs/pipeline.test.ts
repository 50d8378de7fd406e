import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import type { PupConfigInput } from "../../src/config/schema.ts";
import { ProcessState } from "../../src/core/states.ts";
import { Instance } from "../../src/instance/instance.ts";
import { LogStore } from "../../src/logs/log-store.ts";
import { MemoryLog } from "../../src/logs/memory-log.ts";
import { LogStoreService } from "../../src/logs/store-service.ts";
import { LINE_CONTINUES } from "../../src/logs/stored-text.ts";
import { MAX_LINE_BYTES } from "../../src/runner/line-splitter.ts";
import { tempDir } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

const { dir: root, cleanup } = tempDir("pup-pipeline-");
const instances: Instance[] = [];
after(async () => {
  // terminate() stops every child the instance started, also when a test failed.
  await Promise.all(instances.map((i) => i.terminate("test over")));
  cleanup();
});

let n = 0;
async function startInstance(config: PupConfigInput): Promise<{ instance: Instance; dir: string }> {
  const dir = path.join(root, `i${++n}`);
  mkdirSync(dir, { recursive: true });
  const configPath = path.join(dir, "pup.json");
  writeFileSync(configPath, JSON.stringify(config));
  const instance = new Instance({
    config: validateConfig(config, configPath),
    configPath,
    services: [new LogStoreService()],
  });
  instances.push(instance);
  await instance.start();
  return { instance, dir };
}

/**
 * A child that writes `count` numbered lines as fast as its pipe takes them, in uneven chunks;
 * `paced`: 100 lines at a time, a millisecond apart.
 */
function burstScript(dir: string, count: number, width = 40, paced = false): string {
  const file = path.join(dir, "burst.js");
  writeFileSync(
    file,
    `const pad = "x".repeat(${width});
let i = 0;
function more() {
  let ok = true;
  while (i < ${count} && ok) {
    let chunk = "";
    const size = ${paced} ? 100 : 1 + ((i * 7919) % 1500);
    for (let k = 0; k < size && i < ${count}; k++) chunk += "line " + i++ + " " + pad + "\\n";
    ok = process.stdout.write(chunk) && !${paced};
  }
  if (i < ${count}) {
    if (${paced}) setTimeout(more, 1);
    else process.stdout.once("drain", more);
  }
}
more();
`,
  );
  return file;
}

const expectedLines = (count: number, width = 40) =>
  Array.from({ length: count }, (_, i) => `line ${i} ${"x".repeat(width)}`);

async function waitFinished(instance: Instance, id: string, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    () => {
      const s = instance.supervisor.get(id).status.status;
      return s === ProcessState.FINISHED || s === ProcessState.ERRORED;
    },
    `${id} to finish`,
    timeoutMs,
    10,
  );
  assert.equal(instance.supervisor.get(id).status.status, ProcessState.FINISHED);
}

describe("log pipeline of an instance", () => {
  test("200 000 lines written as fast as possible: all in the store and the file, in order, none split", async (t) => {
    const COUNT = 200_000;
    const { instance, dir } = await startInstance({
      logger: { console: false },
      processes: [{ id: "burst", cmd: "node burst.js", logger: { stdout: "burst.log" } }],
    });
    burstScript(dir, COUNT);
    const store = instance.logReader;
    assert.ok(store instanceof LogStore, "the log store is the instance's reader");
    // The store's backlog never grows past its high-water marks (100 000 lines, 8 MiB) by more
    // than one pipe read.
    let maxBacklog = 0;
    let maxBacklogBytes = 0;
    const sample = () => {
      maxBacklog = Math.max(maxBacklog, store.backlog);
      maxBacklogBytes = Math.max(maxBacklogBytes, store.backlogBytes);
      return true;
    };
    // A sink after the store's: it sees the backlog right after the store took each read, and
    // leaves the logger on its fast path (a `log` listener would make an entry per line).
    const sampler = {
      write: sample,
      writeLines: sample,
      drained: async () => {},
      flush: async () => {},
      close: async () => {},
    };
    instance.logger.addSink(sampler);
    const started = performance.now();
    instance.supervisor.startProcess("burst");
    await waitFinished(instance, "burst");
    await instance.logger.flush();
    const seconds = (performance.now() - started) / 1000;

    const expected = expectedLines(COUNT);
    const stored = (await store.query({ processId: "burst", limit: COUNT * 2 }))
      .filter((e) => e.category === "stdout")
      .map((e) => e.text);
    assert.equal(stored.length, COUNT, "every line in the store");
    assert.deepEqual(stored, expected, "in order, none split");
    const file = readFileSync(path.join(dir, "burst.log"), "utf8").split("\n");
    assert.equal(file.pop(), "", "the file ends with a newline");
    const fileLines = file.filter((l) => l.startsWith("line "));
    assert.deepEqual(fileLines, expected, "every line in the file, in order");
    assert.ok(maxBacklog > 0, "the backlog was sampled");
    assert.ok(maxBacklog <= 100_000 + 2000, `store backlog bounded (max ${maxBacklog} lines)`);
    assert.ok(
      maxBacklogBytes <= 8 * 1024 * 1024 + 128 * 1024,
      `store backlog bounded (max ${maxBacklogBytes} bytes)`,
    );
    const rate = Math.round(COUNT / seconds);
    t.diagnostic(`ingestion: ${COUNT} lines in ${seconds.toFixed(2)} s = ${rate} lines/s into store + file`);
    process.stdout.write(
      `# ingestion: ${rate} lines/s (${COUNT} lines, ${seconds.toFixed(2)} s), max backlog ${maxBacklog}\n`,
    );
  });

  test("a line over 64 KiB is cut into marked pieces as it is read: the same in the file and the store, nothing lost", async () => {
    const { instance, dir } = await startInstance({
      logger: { console: false },
      processes: [{ id: "long", cmd: "node long.js", logger: { stdout: "long.log" } }],
    });
    writeFileSync(
      path.join(dir, "long.js"),
      `process.stdout.write("before\\n" + "L".repeat(200000) + "\\nafter");`,
    );
    instance.supervisor.startProcess("long");
    await waitFinished(instance, "long", 10_000);
    await instance.logger.flush();
    const pieces = [
      `${"L".repeat(MAX_LINE_BYTES)}${LINE_CONTINUES}`,
      `${"L".repeat(MAX_LINE_BYTES)}${LINE_CONTINUES}`,
      `${"L".repeat(MAX_LINE_BYTES)}${LINE_CONTINUES}`,
      "L".repeat(200_000 - 3 * MAX_LINE_BYTES),
    ];
    // The process's file also has the instance's messages about it (starting, finished).
    const fileLines = readFileSync(path.join(dir, "long.log"), "utf8").split("\n");
    const from = fileLines.indexOf("before");
    assert.deepEqual(fileLines.slice(from, from + 6), ["before", ...pieces, "after"]);
    const stored = (await instance.logReader.query({ processId: "long" }))
      .filter((e) => e.category === "stdout")
      .map((e) => e.text);
    assert.deepEqual(stored, ["before", ...pieces, "after"]);
  });

  test("a progress bar redrawn with \\r is stored, and in the file, as its final state", async () => {
    const { instance, dir } = await startInstance({
      logger: { console: false },
      processes: [{ id: "bar", cmd: "node bar.js", logger: { stdout: "bar.log" } }],
    });
    writeFileSync(
      path.join(dir, "bar.js"),
      `let i = 0;
const t = setInterval(() => {
  process.stdout.write("\\rdownloading " + (i += 10) + "%");
  if (i === 100) { clearInterval(t); process.stdout.write("\\ndone\\r\\n"); }
}, 5);`,
    );
    instance.supervisor.startProcess("bar");
    await waitFinished(instance, "bar", 10_000);
    await instance.logger.flush();
    const stored = (await instance.logReader.query({ processId: "bar" }))
      .filter((e) => e.category === "stdout")
      .map((e) => e.text);
    assert.deepEqual(stored, ["downloading 100%", "done"]);
    const file = readFileSync(path.join(dir, "bar.log"), "utf8");
    assert.match(file, /\ndownloading 100%\ndone\n/);
  });

  test("an unreadable (corrupt) store is replaced; the instance runs and stores; the problem is logged once", async () => {
    const dir = path.join(root, `i${n + 1}`);
    mkdirSync(path.join(dir, ".pup", "pup.json-data"), { recursive: true });
    writeFileSync(path.join(dir, ".pup", "pup.json-data", "logs.db"), Buffer.alloc(4096, 7));
    const { instance } = await startInstance({
      logger: { console: false },
      processes: [{ id: "hello", cmd: "echo hello from hello", autostart: true }],
    });
    await waitFinished(instance, "hello", 10_000);
    const all = await instance.logReader.query({ limit: 1000 });
    assert.ok(instance.logReader instanceof LogStore);
    assert.ok(all.some((e) => e.processId === "hello" && e.text === "hello from hello"));
    const problems = all.filter((e) => e.category === "logger" && /corrupt/.test(e.text));
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.ok(all[0].category === "init", "the instance's first message was stored too");
  });

  test("a store that cannot be opened leaves the in-memory log; the instance goes on", async () => {
    const dir = path.join(root, `i${n + 1}`);
    mkdirSync(path.join(dir, ".pup", "pup.json-data", "logs.db"), { recursive: true });
    const { instance } = await startInstance({
      logger: { console: false },
      processes: [{ id: "hello", cmd: "echo still here", autostart: true }],
    });
    await waitFinished(instance, "hello", 10_000);
    assert.ok(instance.logReader instanceof MemoryLog);
    const all = await instance.logReader.query({ limit: 1000 });
    assert.ok(all.some((e) => e.text === "still here"));
    assert.ok(all.some((e) => e.category === "logger" && /cannot open the log store/.test(e.text)));
  });

  test("internalLogHours 0 disables the store: nothing kept or served, a store of an earlier run removed", async () => {
    const dir = path.join(root, `i${n + 1}`);
    const db = path.join(dir, ".pup", "pup.json-data", "logs.db");
    const earlier = LogStore.open({ file: db, retentionHours: 0, onError: assert.fail });
    earlier.write({ processId: "hello", severity: "log", category: "stdout", text: "old", timeStamp: 1 });
    await earlier.close();
    const { instance } = await startInstance({
      logger: { console: false, internalLogHours: 0 },
      processes: [{ id: "hello", cmd: "echo not kept", autostart: true }],
    });
    await waitFinished(instance, "hello", 10_000);
    await instance.logger.flush();
    assert.ok(!existsSync(db), "no store file");
    assert.deepEqual(await instance.logReader.query({ limit: 10_000 }), [], "no entries served");
  });

  test("rotation keeps the configured number of files, and no line is lost from the kept ones", async () => {
    const COUNT = 5000;
    const { instance, dir } = await startInstance({
      logger: { console: false, maxFiles: 7 },
      processes: [
        {
          id: "rot",
          cmd: "node burst.js",
          logger: { stdout: "logs/rot.log", maxFileSizeMb: 0.02, maxFiles: 3 },
        },
      ],
    });
    // Paced, so that write batches stay well below the 20 KiB limit and rotation is exact enough.
    burstScript(dir, COUNT, 60, true);
    instance.supervisor.startProcess("rot");
    await waitFinished(instance, "rot");
    await instance.logger.flush();
    const base = path.join(dir, "logs", "rot.log");
    for (const f of [base, `${base}.1`, `${base}.2`, `${base}.3`]) assert.ok(existsSync(f), `${f} exists`);
    assert.ok(!existsSync(`${base}.4`), "no more than maxFiles rotated files");
    const kept = [`${base}.3`, `${base}.2`, `${base}.1`, base]
      .map((f) => readFileSync(f, "utf8"))
      .join("")
      .split("\n")
      .filter((l) => l.startsWith("line "));
    const expected = expectedLines(COUNT, 60);
    assert.ok(kept.length > 0 && kept.length < COUNT, `${kept.length} lines kept`);
    assert.deepEqual(
      kept,
      expected.slice(COUNT - kept.length),
      "the kept files hold the newest lines, contiguous",
    );
  });
});
