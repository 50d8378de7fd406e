import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Service } from "kubernetes-models/v1/Service";
import { parseAllDocuments } from "yaml";
import { loadConfig, validateConfig } from "../../src/config/load.ts";
import { toKubernetes } from "../../src/export/kubernetes.ts";
import { ROOT, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { EVERY_KEY } from "./every-key.ts";

const { dir: root, cleanup } = tempDir("pup-export-");
after(cleanup);

const MODELS = { Deployment, Job, CronJob, Service };
const LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"];
// pup's crons run in local time; a fixed zone makes the printed CronJobs the same on every machine.
const UTC = { TZ: "UTC" };

// biome-ignore lint/suspicious/noExplicitAny: documents are read as the YAML they are.
type Json = any;

/** Every document of the output, parsed, each checked against Kubernetes' schema by its own model. */
function parseManifests(stdout: string): Json[] {
  const documents = parseAllDocuments(stdout);
  assert.ok(Array.isArray(documents), "multi-document YAML");
  return documents.map((document) => {
    assert.deepEqual(document.errors, [], "valid YAML");
    const json = document.toJS();
    const Model = MODELS[json.kind as keyof typeof MODELS];
    assert.ok(Model, `an expected kind: ${json.kind}`);
    assert.doesNotThrow(() => new Model(json).validate(), `${json.kind} ${json.metadata?.name}`);
    for (const label of LABELS) assert.ok(json.metadata.labels[label], `${label} on ${json.metadata.name}`);
    return json;
  });
}

function assertRefused(r: { code: number | null; stdout: string; stderr: string }, message: RegExp) {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, "", "no manifest on stdout");
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, message);
}

const examples = readdirSync(path.join(ROOT, "examples")).filter((name) =>
  existsSync(path.join(ROOT, "examples", name, "pup.json")),
);

/** Examples that a cluster cannot run as they are, and the one line that says why. */
const REFUSED: Record<string, RegExp> = {
  // A task every 10 seconds: finer than a CronJob's minute.
  basic: /^pup: process "tick": cron "\*\/10 \* \* \* \* \*" runs at seconds other than 0; /,
};

describe("pup export kubernetes (the real binary)", () => {
  test("every example exports (or is refused for what a cluster cannot run)", async () => {
    assert.ok(examples.length >= 2, examples.join(", "));
    for (const name of examples) {
      const file = path.join(ROOT, "examples", name, "pup.json");
      const r = await runPup(["export", "kubernetes", "--config", file, "--image", "example:1"], {
        env: UTC,
      });
      if (REFUSED[name] !== undefined) {
        assertRefused(r, REFUSED[name]);
        continue;
      }
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      const manifests = parseManifests(r.stdout);
      const { config } = loadConfig({ config: file });
      assert.deepEqual(
        manifests.filter((m) => m.kind !== "Service").map((m) => m.metadata.labels["app.kubernetes.io/name"]),
        config.processes.map((p) => p.id.toLowerCase()),
        name,
      );
    }
  });

  test("a configuration with every key: the printed manifests are the mapping's, warnings on stderr", async () => {
    const dir = path.join(root, "every-key");
    const file = writeJson(path.join(root, "every-key.json"), EVERY_KEY);
    const args = ["export", "kubernetes", "--config", file, "--image", "shop:1.2", "--namespace", "shop"];
    const r = await runPup([...args, "--workdir", "/srv/shop"], { env: UTC });
    assert.equal(r.code, 0, r.stderr);
    const manifests = parseManifests(r.stdout);
    const expected = toKubernetes(validateConfig(EVERY_KEY, "pup.json"), {
      image: "shop:1.2",
      namespace: "shop",
      workdir: "/srv/shop",
      configDir: dir,
      timeZone: "UTC",
    });
    assert.deepEqual(
      manifests,
      expected.manifests.map((m) => m.toJSON()),
    );
    const lines = r.stderr.trimEnd().split("\n");
    assert.deepEqual(
      lines,
      expected.warnings.map((w) => `pup: warning: ${w}`),
    );
    assert.equal(manifests.find((m) => m.kind === "CronJob").spec.timeZone, "UTC");
  });

  test("without --image: one line, exit 1, no manifest", async () => {
    const file = writeJson(path.join(root, "no-image.json"), {
      processes: [{ id: "web", cmd: "node s.js" }],
    });
    assertRefused(await runPup(["export", "kubernetes", "--config", file]), /^pup: .*--image/);
    assertRefused(
      await runPup(["export", "kubernetes", "--config", file, "--image", " "]),
      /^pup: --image: expected the container image/,
    );
  });

  test("an invalid configuration or option, and names that collide, are one line each", async () => {
    const bad = writeJson(path.join(root, "bad.json"), {
      processes: [{ id: "web", cmd: "x", restart: "sometimes" }],
    });
    assertRefused(
      await runPup(["export", "kubernetes", "--config", bad, "--image", "a"]),
      /^pup: \S*bad\.json: processes\[0\]\.restart: /,
    );
    const clash = writeJson(path.join(root, "clash.json"), {
      processes: [
        { id: "a_b", cmd: "x" },
        { id: "a.b", cmd: "x" },
      ],
    });
    assertRefused(
      await runPup(["export", "kubernetes", "--config", clash, "--image", "a"]),
      /^pup: processes "a_b" and "a\.b" would both be named "a-b"/,
    );
    assertRefused(
      await runPup(["export", "kubernetes", "--config", clash, "--image", "a", "--namespace", "No"]),
      /^pup: --namespace: /,
    );
  });

  test("help: `pup --help` lists export; `pup export kubernetes --help` documents its flags", async () => {
    const top = await runPup(["--help"]);
    assert.match(top.stdout, /^\s+export\b/m);
    const help = await runPup(["export", "kubernetes", "--help"]);
    assert.equal(help.code, 0, help.stderr);
    for (const flag of ["--config", "--image", "--namespace", "--workdir"])
      assert.match(help.stdout, new RegExp(flag));
  });

  test("docs/kubernetes-example.yaml and README's example are what the export prints for examples/web-cluster", async () => {
    const r = await runPup(
      [
        "export",
        "kubernetes",
        "--config",
        "examples/web-cluster/pup.json",
        "--image",
        "web-cluster-example:1.0",
      ],
      { cwd: ROOT, env: UTC },
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = readFileSync(path.join(ROOT, "docs", "kubernetes-example.yaml"), "utf8");
    assert.equal(doc.slice(doc.indexOf("apiVersion:")), r.stdout, "regenerate it as its first lines say");
    // README shows the first documents of it, as printed.
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const shown = /## Moving to Kubernetes[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(shown && r.stdout.startsWith(shown), "README's example is the export's output");
  });

  test("only the export loads kubernetes-models and yaml", async () => {
    const hook = path.join(ROOT, "test", "cli", "fixtures", "record-imports.mjs");
    const file = writeJson(path.join(root, "lazy.json"), { processes: [{ id: "web", cmd: "node s.js" }] });
    const heavy = /node_modules\/(kubernetes-models|@kubernetes-models|yaml)\//;
    const loaded = async (name: string, args: string[]) => {
      const list = path.join(root, `imports-${name}.txt`);
      const r = await runPup(args, { env: { NODE_OPTIONS: `--import=${hook}`, PUP_TEST_IMPORTS: list } });
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      return readFileSync(list, "utf8")
        .trim()
        .split("\n")
        .filter((url) => heavy.test(url));
    };
    assert.deepEqual(await loaded("help", ["--help"]), []);
    assert.deepEqual(await loaded("remove-help", ["remove", "--help"]), []);
    const exporting = await loaded("export", ["export", "kubernetes", "--config", file, "--image", "a"]);
    assert.ok(
      exporting.some((url) => url.includes("kubernetes-models")),
      "the recording sees them when loaded",
    );
    assert.ok(exporting.some((url) => url.includes("/yaml/")));
  });
});
