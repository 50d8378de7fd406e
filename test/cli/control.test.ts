import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { ApplicationState } from "../../src/api/state.ts";
import { formatStatus } from "../../src/cli/commands/control.ts";
import { ProcessState } from "../../src/core/states.ts";
import { PupProcess, ROOT, runPup } from "../helpers/pup-process.ts";
import { projects, tempDir } from "../helpers/tmp.ts";
import { alive, waitFor } from "../helpers/wait.ts";

const { dir: root, cleanup } = tempDir("pup-cli-control-");
const started: PupProcess[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.kill()));
  cleanup();
});

const project = projects(root);

async function stateOf(file: string): Promise<ApplicationState> {
  const r = await runPup(["status", "--json", "--config", file]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}
const find = (s: ApplicationState, id: string) => s.processes.find((p) => p.id === id)!;

/** One line on stderr, the reason; nothing on stdout; exit 1. */
function assertFailure(r: { code: number | null; stdout: string; stderr: string }, message: RegExp | string) {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  if (typeof message === "string") assert.equal(r.stderr, `pup: ${message}\n`);
  else assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /at .*\.[jt]s:\d+/, "no stack trace");
  assert.equal(r.stdout, "");
}

describe("control commands over the API", () => {
  let dir: string;
  let file: string;
  let instance: PupProcess;

  before(async () => {
    ({ dir, file } = project({
      name: "control-test",
      processes: [
        { id: "a", cmd: "sleep 1000", autostart: true },
        { id: "b", cmd: "sh -c 'echo $$ > b.pid; exec sleep 1000'" },
        { id: "web", cmd: "sleep 1000", cluster: { instances: 2 } },
        { id: "fails", cmd: "sh -c 'exit 3'", autostart: true, restart: "error", restartLimit: 0 },
      ],
    }));
    instance = new PupProcess(["run", "--config", file]);
    started.push(instance);
    await waitFor(() => existsSync(path.join(dir, ".pup", "pup.json-tmp", ".main.port")), "the port file");
    await instance.waitForOutput("[fails:errored]");
  });

  test("status: instance name, config path, API URL and an aligned process table", async () => {
    const r = await runPup(["status", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    const port = readFileSync(path.join(dir, ".pup", "pup.json-tmp", ".main.port"), "utf8");
    assert.match(r.stdout, /^instance\s+control-test \(pid \d+, pup [\d.]+, up \d+s\)$/m);
    assert.match(r.stdout, new RegExp(`^config\\s+${file.replace(/[.]/g, "\\.")}$`, "m"));
    assert.match(r.stdout, new RegExp(`^api\\s+http://127\\.0\\.0\\.1:${port}$`, "m"));
    assert.doesNotMatch(r.stdout, /\x1b\[/, "no colours without a terminal");
    const lines = r.stdout.split("\n");
    const header = lines.find((l) => l.startsWith("ID"))!;
    assert.match(
      header,
      /^ID\s+TYPE\s+STATUS\s+HEALTH\s+BLOCKED\s+STARTED\s+EXITED\s+RESTARTS\s+RSS\s+CPU\s+CODE$/,
    );
    const rows = lines.slice(lines.indexOf(header) + 1).filter(Boolean);
    assert.deepEqual(
      rows.map((l) => l.trim().split(/\s+/)[0]),
      ["a", "web", "web-1", "web-2", "b", "fails"].sort((x, y) => order(x) - order(y)),
    );
    const row = (id: string) => rows.find((l) => l.trim().split(/\s+/)[0] === id)!;
    assert.match(row("a"), /^a\s+process\s+RUNNING\s+-\s+no\s+\d+s ago\s+-\s+0\s/);
    assert.match(row("fails"), /EXHAUSTED\s+-\s+no\s+\d+s ago\s+\d+s ago\s+0\s+-\s+-\s+3$/);
    assert.match(row("web-1"), /^ {2}web-1\s+process\s+CREATED/);
    // Aligned: every row's STATUS column starts where the header's does.
    const at = header.indexOf("STATUS");
    for (const l of rows) assert.match(l.slice(at), /^[A-Z]+\s/, l);
  });

  test("the control commands load no validator, command-line parser, JWT library or server", async () => {
    const hook = path.join(ROOT, "test", "cli", "fixtures", "record-imports.mjs");
    const runs: Array<[string, string[]]> = [
      ["status", ["status", "--config", file]],
      ["block", ["block", "a", "--config", file]],
      ["unblock", ["unblock", "a", "--config", file]],
      ["version", ["--version"]],
      // The full parser: proves that the recording sees these packages when they are loaded.
      ["help", ["status", "--help"]],
    ];
    // bin/pup.js runs the bundle: each file of it stands for the source modules it holds.
    const meta = JSON.parse(readFileSync(path.join(ROOT, "dist", "bundle", "meta.json"), "utf8")) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const sources = (urls: string[]) =>
      urls
        .filter((u) => u.startsWith("file:"))
        .flatMap((u) => {
          const relative = path.relative(ROOT, fileURLToPath(u));
          const output = meta.outputs[relative];
          return output ? Object.keys(output.inputs) : [relative];
        });
    const loaded = new Map<string, string[]>();
    for (const [name, args] of runs) {
      const list = path.join(dir, `imports-${name}.txt`);
      const r = await runPup(args, { env: { NODE_OPTIONS: `--import=${hook}`, PUP_TEST_IMPORTS: list } });
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      loaded.set(name, sources(readFileSync(list, "utf8").trim().split("\n")));
    }
    const heavy =
      /node_modules\/(zod|commander|jose|json5|fastify|croner|ws)\/|src\/(config\/(load|schema)|api\/(server|tokens)|core\/supervisor)\.ts$/;
    for (const name of ["status", "block", "unblock", "version"]) {
      const modules = loaded.get(name)!;
      assert.ok(modules.includes("src/cli/entry.ts"), `${name}:\n${modules.join("\n")}`);
      assert.deepEqual(
        modules.filter((m) => heavy.test(m)),
        [],
        `${name}:\n${modules.join("\n")}`,
      );
    }
    assert.ok(loaded.get("help")!.some((m) => m.includes("node_modules/commander/")));
  });

  test("status --json prints the state object of GET /state, not inside data", async () => {
    const state = await stateOf(file);
    assert.equal(state.type, "main");
    assert.equal(state.status, "RUNNING");
    assert.equal(state.pid, instance.pid);
    assert.equal(typeof state.systemMemory.total, "number");
    assert.deepEqual(
      state.processes.map((p) => p.id),
      ["a", "b", "web", "web-1", "web-2", "fails"],
    );
    assert.equal(find(state, "fails").code, 3);
  });

  test("start and stop: the process really runs, then really ends", async () => {
    const r = await runPup(["start", "b", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^started b: b (STARTING|RUNNING)\n$/);
    const pid = await waitFor(() => {
      const f = path.join(dir, "b.pid");
      return existsSync(f) ? Number(readFileSync(f, "utf8")) : undefined;
    }, "b's pid");
    assert.ok(alive(pid));
    const stop = await runPup(["stop", "b", "--config", file]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, "stopped b: b FINISHED\n");
    assert.ok(!alive(pid), "stop answers once the process has exited");
  });

  test("restart replaces the running process", async () => {
    const before = find(await stateOf(file), "a").pid;
    const r = await runPup(["restart", "a", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^restarted a: a /);
    const after = await waitFor(async () => {
      const p = find(await stateOf(file), "a");
      return p.status === ProcessState.RUNNING && p.pid !== before ? p.pid : undefined;
    }, "a new pid");
    assert.ok(!alive(before!));
    assert.ok(alive(after));
  });

  test("block makes start fail with exit 1 and one line; unblock allows it again", async () => {
    const block = await runPup(["block", "b", "--config", file]);
    assert.equal(block.code, 0, block.stderr);
    assert.equal(block.stdout, "blocked b: b FINISHED (blocked)\n");
    assertFailure(await runPup(["start", "b", "--config", file]), 'process "b" is blocked; unblock it first');
    assertFailure(await runPup(["restart", "b", "--config", file]), /blocked/);
    const unblock = await runPup(["unblock", "b", "--config", file]);
    assert.equal(unblock.code, 0);
    assert.equal(find(await stateOf(file), "b").blocked, false);
    assert.equal(find(await stateOf(file), "b").status, ProcessState.FINISHED, "unblock does not start");
  });

  test("an unknown id: exit 1 with one line", async () => {
    for (const action of ["start", "stop", "restart", "block", "unblock"]) {
      assertFailure(await runPup([action, "nope", "--config", file]), 'unknown process "nope"');
    }
  });

  test("cluster ids and `all`", async () => {
    const web = await runPup(["start", "web", "--config", file]);
    assert.equal(web.code, 0, web.stderr);
    assert.match(web.stdout, /^started web: web \w+, web-1 \w+, web-2 \w+\n$/);
    await waitFor(
      async () => find(await stateOf(file), "web").status === ProcessState.RUNNING,
      "web running",
    );
    const all = await runPup(["stop", "all", "--cwd", dir]);
    assert.equal(all.code, 0, all.stderr);
    const state = await stateOf(file);
    for (const p of state.processes) assert.notEqual(p.status, ProcessState.RUNNING, p.id);
  });

  test("dashboard prints the dashboard's address with a read+control token for this instance", async () => {
    const r = await runPup(["dashboard", "--expire-in", "60", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    const port = readFileSync(path.join(dir, ".pup", "pup.json-tmp", ".main.port"), "utf8");
    const match = r.stdout.match(
      /^http:\/\/127\.0\.0\.1:(\d+)\/dashboard\/#token=([\w-]+\.[\w-]+\.[\w-]+)\n$/,
    );
    assert.ok(match, r.stdout);
    assert.equal(match[1], port);
    const payload = JSON.parse(Buffer.from(match[2].split(".")[1], "base64url").toString());
    assert.deepEqual(payload.data, { consumer: "dashboard", scopes: ["read", "control"] });
    const answer = await fetch(`http://127.0.0.1:${port}/state`, {
      headers: { authorization: `Bearer ${match[2]}` },
    });
    assert.equal(answer.status, 200);
  });

  test("terminate ends the instance (exit 0) and removes the port file; then: no running instance", async () => {
    const r = await runPup(["terminate", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /terminated/);
    assert.equal((await instance.exited).code, 0);
    assert.ok(!existsSync(path.join(dir, ".pup", "pup.json-tmp", ".main.port")));
    const t0 = Date.now();
    assertFailure(await runPup(["status", "--config", file]), `no running instance for ${file}`);
    assert.ok(Date.now() - t0 < 3000);
  });
});

/** The order of the rows in the table: as configured, a cluster's instances after it. */
function order(id: string): number {
  return ["a", "b", "web", "web-1", "web-2", "fails"].indexOf(id);
}

describe("no running instance", () => {
  test("every control command exits 1 with `no running instance for <path>` within 3 s", async () => {
    const { file } = project({ processes: [{ id: "a", cmd: "sleep 1" }] });
    for (const args of [
      ["status"],
      ["status", "--json"],
      ["start", "a"],
      ["stop", "all"],
      ["terminate"],
      ["dashboard"],
    ]) {
      const t0 = Date.now();
      assertFailure(await runPup([...args, "--config", file]), `no running instance for ${file}`);
      assert.ok(Date.now() - t0 < 3000, `${args.join(" ")} took ${Date.now() - t0} ms`);
    }
  });

  test("a stale port file and secret left by a killed instance: the same, quickly", async () => {
    const { dir, file } = project({ processes: [{ id: "a", cmd: "sleep 1" }] });
    // A port nothing listens on.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    mkdirSync(path.join(dir, ".pup", "pup.json-tmp"), { recursive: true });
    mkdirSync(path.join(dir, ".pup", "pup.json-data"), { recursive: true });
    writeFileSync(path.join(dir, ".pup", "pup.json-tmp", ".main.port"), String(port));
    writeFileSync(path.join(dir, ".pup", "pup.json-data", ".main.secret"), "c2VjcmV0");
    const t0 = Date.now();
    assertFailure(await runPup(["stop", "a", "--config", file]), `no running instance for ${file}`);
    assert.ok(Date.now() - t0 < 3000);
  });

  test("a configured api.port with nothing on it: the same", async () => {
    const { dir, file } = project({ api: { port: 1 }, processes: [{ id: "a", cmd: "sleep 1" }] });
    mkdirSync(path.join(dir, ".pup", "pup.json-data"), { recursive: true });
    writeFileSync(path.join(dir, ".pup", "pup.json-data", ".main.secret"), "c2VjcmV0");
    assertFailure(await runPup(["status", "--config", file]), `no running instance for ${file}`);
  });
});

describe("finding the configuration and the instance", () => {
  test("a missing --config file, or no configuration in the folder: exit 1 with one line", async () => {
    const { dir } = project({ processes: [] });
    const missing = path.join(dir, "nope.json");
    for (const args of [["status"], ["stop", "all"], ["terminate"]]) {
      assertFailure(await runPup([...args, "--config", missing]), `configuration file not found: ${missing}`);
    }
    const empty = path.join(root, "empty");
    mkdirSync(empty, { recursive: true });
    assertFailure(
      await runPup(["status"], { cwd: empty }),
      `no configuration file: neither pup.jsonc nor pup.json in ${empty} (use --config PATH)`,
    );
  });

  test("no instance and a configuration the validator rejects: its complaint, not `no running instance`", async () => {
    const { file } = project({ processes: [{ id: "a", cmd: "sleep 1" }], bogus: 1 });
    for (const args of [["status"], ["start", "a"], ["terminate"]]) {
      assertFailure(await runPup([...args, "--cwd", path.dirname(file)]), `${file}: bogus: unknown key`);
    }
    const { file: unparsable } = project({});
    writeFileSync(unparsable, "{ processes: [ ");
    assertFailure(
      await runPup(["status", "--config", unparsable]),
      /^pup: .*pup\.json: not valid JSON\/JSON5/,
    );
  });

  test("help, typos and missing arguments still get commander's answers", async () => {
    const { file } = project({ processes: [] });
    const help = await runPup(["status", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: pup status \[options\]/);
    assert.match(help.stdout, /--json/);
    assertFailure(await runPup(["start", "--config", file]), "missing required argument 'id'");
    assertFailure(await runPup(["status", "--bogus", "--config", file]), "unknown option '--bogus'");
    assertFailure(await runPup(["status", "extra", "--config", file]), /too many arguments for 'status'/);
    const version = await runPup(["--version"]);
    assert.equal(version.code, 0);
    assert.equal(
      version.stdout,
      `${JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version}\n`,
    );
  });

  test("pup.jsonc with comments, found in --cwd; a later edit the validator would reject does not lock the user out", async () => {
    const dir = path.join(root, "jsonc");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "pup.jsonc");
    const text = `// comments and trailing commas\n{ name: "commented", processes: [{ id: "a", cmd: "sleep 1000", autostart: true, },], }\n`;
    writeFileSync(file, text);
    const instance = new PupProcess(["run", "--config", file]);
    started.push(instance);
    await waitFor(() => existsSync(path.join(dir, ".pup", "pup.jsonc-tmp", ".main.port")), "the port file");
    const status = await runPup(["status", "--cwd", dir]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^instance\s+commented \(pid \d+,/m);
    assert.match(status.stdout, /^a\s+process\s/m);
    writeFileSync(file, text.replace("processes:", "typo: 1, processes:"));
    const stop = await runPup(["stop", "a", "--cwd", dir]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, "stopped a: a FINISHED\n");
    assert.equal((await runPup(["terminate", "--cwd", dir])).code, 0);
    assert.equal((await instance.exited).code, 0);
  });
});

describe("status table formatting", () => {
  const now = Date.parse("2025-01-01T12:00:00Z");
  const state = {
    pid: 42,
    version: "1.2.3",
    started: "2025-01-01T11:57:00Z",
    processes: [
      {
        id: "api",
        type: "process",
        status: 200,
        blocked: false,
        restarts: 2,
        updated: "",
        started: "2025-01-01T11:59:30Z",
        rss: 12.5 * 1024 * 1024,
        cpu: 1.25,
      },
      {
        id: "job",
        type: "process",
        status: 400,
        blocked: true,
        restarts: 0,
        updated: "",
        started: "2025-01-01T09:00:00Z",
        exited: "2025-01-01T10:00:00Z",
        signal: "SIGKILL",
      },
    ],
  } as unknown as ApplicationState;
  const view = { state, name: "demo", configPath: "/x/pup.json", url: "http://127.0.0.1:1", now };

  test("times as 'ago', memory in binary units, CPU in percent, signal when there is no code", () => {
    const text = formatStatus({ ...view, colors: false });
    assert.match(text, /^instance {2}demo \(pid 42, pup 1\.2\.3, up 3m\)$/m);
    assert.match(text, /^api {7}http:\/\/127\.0\.0\.1:1$/m);
    assert.match(text, /^api\s+process\s+RUNNING\s+-\s+no\s+30s ago\s+-\s+2\s+12\.5 MiB\s+1\.3%\s+-$/m);
    assert.match(text, /^job\s+process\s+ERRORED\s+-\s+yes\s+3h ago\s+2h ago\s+0\s+-\s+-\s+SIGKILL$/m);
  });

  test("a cluster's load balancer: each instance's rotation state and connections, under the table", () => {
    const backend = { running: true, up: true, healthy: true, drained: false, inRotation: true, failed: 0 };
    const balancers = [
      {
        process: "web",
        port: 3000,
        strategy: "round-robin",
        held: 2,
        dropped: 0,
        backends: [
          { ...backend, name: "web-1", port: 3001, open: 12, total: 10432 },
          { ...backend, name: "web-2", port: 3002, open: 0, total: 998, drained: true, inRotation: false },
          { ...backend, name: "web-3", port: 3003, open: 0, total: 7, failed: 3, up: false },
        ],
      },
    ];
    const text = formatStatus({ ...view, state: { ...state, balancers } as ApplicationState, colors: false });
    assert.match(text, /^balancer {2}web on port 3000 \(round-robin, 2 waiting\)$/m);
    assert.match(text, /^ {2}INSTANCE\s+PORT\s+STATE\s+OPEN\s+TOTAL\s+FAILED$/m);
    assert.match(text, /^ {2}web-1\s+3001\s+in rotation\s+12\s+10432\s+0$/m);
    assert.match(text, /^ {2}web-2\s+3002\s+drained\s+0\s+998\s+0$/m);
    assert.match(text, /^ {2}web-3\s+3003\s+down\s+0\s+7\s+3$/m);
    assert.doesNotMatch(formatStatus({ ...view, colors: false }), /balancer/, "no section without one");
  });

  test("colours only when asked (a terminal without NO_COLOR)", () => {
    assert.doesNotMatch(formatStatus({ ...view, colors: false }), /\x1b\[/);
    const coloured = formatStatus({ ...view, colors: true });
    assert.match(coloured, /\x1b\[32mRUNNING/);
    assert.match(coloured, /\x1b\[31mERRORED/);
    // Colour codes do not shift the columns.
    const strip = (s: string) => s.replace(/\x1b\[\d+m/g, "");
    assert.equal(strip(coloured), formatStatus({ ...view, colors: false }));
  });
});
