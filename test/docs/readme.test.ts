import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import JSON5 from "json5";
import { validateConfig } from "../../src/config/load.ts";
import { ROOT, runPup } from "../helpers/pup-process.ts";
import { type CommandResult, ForegroundJob, Shell } from "../helpers/terminal.ts";
import { tempDir } from "../helpers/tmp.ts";

/*
 * The README's commands, copied as they are, run where the README says to stand (the root of a
 * clean copy of the repository), in the README's order, with their output checked. Each `sh`
 * line must be claimed by exactly one step below, so a command added to the README is a command
 * this test runs.
 *
 * Not run as written: `npm ci`, in front of the first command. The clean copy gets what it
 * installs (this checkout's node_modules, which `npm ci` made from the same lock file, and dist/,
 * which its `prepare` script builds): a real `npm ci` with the native build takes minutes. Not
 * run at all: `bash .ci/run`, which installs system packages and runs this very test suite, and
 * `kubectl apply`, which needs a Kubernetes cluster.
 */

const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const { dir, cleanup } = tempDir("pup-readme-");
const copy = path.join(dir, "pup");
// npx sets up the checkout's own `pup` command once, in its cache: a cache of this test's own.
const env = { ...process.env, NO_COLOR: "1", npm_config_cache: path.join(dir, "npm-cache") };
const jobs: ForegroundJob[] = [];
let shell: Shell | undefined;
after(() => {
  shell?.close();
  for (const job of jobs) job.kill();
  cleanup();
});

/** A clean copy: the files git knows of (committed or not, ignored ones left out). */
function cleanCopy(): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && existsSync(path.join(ROOT, f)));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    cpSync(path.join(ROOT, file), path.join(copy, file));
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
  cpSync(path.join(ROOT, "dist"), path.join(copy, "dist"), { recursive: true });
}

/** The lines of the README's code blocks of one language, block by block. */
function blocks(lang: string): string[][] {
  const found: string[][] = [];
  const fence = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, "gm");
  for (const match of README.matchAll(fence)) found.push(match[1].split("\n").filter((l) => l.trim()));
  return found;
}

type Check = (result: CommandResult) => void;
interface Step {
  /** Matches the README line this step runs. */
  line: RegExp;
  /** A foreground job (`pup run`), or a command at the second terminal's prompt. */
  job?: { ready: string };
  check?: Check;
  skip?: string;
}

const ok =
  (...patterns: RegExp[]): Check =>
  (r) => {
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    for (const p of patterns) assert.match(r.stdout, p);
  };
const processIds = (r: CommandResult) =>
  (JSON.parse(r.stdout) as { data: Array<{ status: { id: string } }> }).data.map((e) => e.status.id);
const configIn = (folder: string) => JSON5.parse(readFileSync(path.join(folder, "pup.json"), "utf8"));
const ids = (config: { processes: Array<{ id: string }> }) => config.processes.map((p) => p.id);

const STEPS: Step[] = [
  { line: /^npm ci && npx pup run --config examples\/basic\/pup\.json$/, job: { ready: "[web:starting]" } },
  {
    line: /^npx pup status --config examples\/basic\/pup\.json$/,
    check: ok(/^web\s+process\s/m, /^tick\s/m),
  },
  { line: /^TOKEN=\$\(npx pup token /, check: ok() },
  {
    line: /^curl .*\$TOKEN.*\/api\/processes$/,
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(processIds(r), ["web", "tick"]);
    },
  },
  { line: /^bash \.ci\/run$/, skip: "installs system packages and runs this very test suite" },
  {
    line: /^npx pup run --autostart --id web -- node examples\/basic\/server\.js$/,
    job: { ready: "[web:starting]" },
  },
  {
    line: /^npx pup status$/,
    check: ok(/^config\s+\S+pup-run-web \(none: run from the command line/m, /^web\s+process\s+\w+/m),
  },
  { line: /^npx pup stop web$/, check: ok(/^(stopped web: web \w+|web is not running \(\w+\))$/m) },
  { line: /^npx pup logs --id web$/, check: ok(/\[web:starting\]/) },
  { line: /^npx pup terminate$/, check: ok(/^terminated the instance for \S+pup-run-web$/m) },
  {
    line: /^mkdir my-services && cd my-services$/,
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.ok(existsSync(path.join(copy, "my-services")));
    },
  },
  {
    line: /^npx pup init --id web /,
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(configIn(path.join(copy, "my-services")).processes, [
        { id: "web", cmd: "node server.js", autostart: true },
      ]);
    },
  },
  {
    line: /^npx pup append --id report /,
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(ids(configIn(path.join(copy, "my-services"))), ["web", "report"]);
      assert.equal(configIn(path.join(copy, "my-services")).processes[1].cron, "0 3 * * *");
    },
  },
  {
    line: /^npx pup remove --id report$/,
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(ids(configIn(path.join(copy, "my-services"))), ["web"]);
    },
  },
  { line: /^cat pup\.json$/, check: (r) => assert.deepEqual(ids(JSON5.parse(r.stdout)), ["web"]) },
  { line: /^cd \.\.$/, check: ok() },
  {
    line: /^npx pup export kubernetes --config examples\/web-cluster\/pup\.json .*> k8s\.yaml$/,
    check: (r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.match(readFileSync(path.join(copy, "k8s.yaml"), "utf8"), /^kind: Deployment$/m);
    },
  },
  { line: /^kubectl apply -f k8s\.yaml$/, skip: "needs a Kubernetes cluster" },
];

/**
 * Ctrl+C: pup stops every process and exits 0. npx, which started it, then ends itself by the
 * same signal (the shell shows 130), as npm does for every command it runs.
 */
async function interrupt(job: ForegroundJob): Promise<void> {
  job.interrupt();
  const { code, signal } = await job.exited;
  assert.ok(code === 0 || signal === "SIGINT", `exit ${code}, ${signal}:\n${job.output}`);
  assert.match(job.output, /all processes stopped; bye\n$/);
}

/** Each README line with the one step that claims it. */
function plan(): Array<{ line: string; step: Step; lastOfBlock: boolean }> {
  const planned: Array<{ line: string; step: Step; lastOfBlock: boolean }> = [];
  for (const block of blocks("sh")) {
    block.forEach((line, i) => {
      const steps = STEPS.filter((s) => s.line.test(line));
      assert.equal(
        steps.length,
        1,
        `README line ${JSON.stringify(line)} is claimed by ${steps.length} steps`,
      );
      planned.push({ line, step: steps[0], lastOfBlock: i === block.length - 1 });
    });
  }
  for (const step of STEPS) {
    assert.ok(
      planned.some((p) => p.step === step),
      `no README line matches ${step.line}`,
    );
  }
  return planned;
}

test("the README's commands work as written, from the root of a clean copy", {
  timeout: 420_000,
}, async () => {
  const steps = plan();
  cleanCopy();
  shell = new Shell(copy, env);
  let job: ForegroundJob | undefined;
  for (const { line, step } of steps) {
    if (step.skip) continue;
    if (step.job) {
      // A new `pup run`: the previous one is ended the way the README says (Ctrl+C or terminate).
      if (job) await interrupt(job);
      const command = line.replace(/^npm ci && /, "");
      job = new ForegroundJob(command, copy, env);
      jobs.push(job);
      // The first npx builds the checkout (its `prepare`), as it would for a reader.
      await job.waitForOutput(step.job.ready, 240_000);
      continue;
    }
    const result = await shell.run(line);
    try {
      step.check?.(result);
    } catch (err) {
      (err as Error).message += `\n--- ${line}\n${result.stdout}\n${result.stderr}`;
      throw err;
    }
  }
  // `pup terminate` ended the last one, as Ctrl+C would have.
  if (job) {
    const { code } = await job.exited;
    assert.equal(code, 0, job.output);
    assert.match(job.output, /all processes stopped; bye\n$/);
  }
});

test("the README's configuration example is valid, and its error example is what pup prints", async () => {
  const [example] = blocks("jsonc");
  validateConfig(JSON5.parse(example.join("\n")), "README.md");
  const shown = README.match(/^pup: pup\.json: processes\[0\]\.restartDelay: .*$/m)?.[0];
  assert.ok(shown, "the README shows the error for restartDelay");
  const folder = path.join(dir, "typo");
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    path.join(folder, "pup.json"),
    JSON.stringify({ processes: [{ id: "a", cmd: "x", restartDelay: 5 }] }),
  );
  const result = await runPup(["run"], { cwd: folder });
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `${shown}\n`);
});
