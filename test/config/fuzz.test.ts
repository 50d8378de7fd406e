import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import JSON5 from "json5";
import { ConfigError } from "../../src/common/errors.ts";
import { parseConfig } from "../../src/config/load.ts";

// The configuration loader against random and mutated files derived from valid ones: whatever
// the text, the answer is a configuration or one ConfigError line that names the file and where
// the problem is; never another error, never a stack. Bounded runs keep it to a few seconds.

const LABEL = "pup.json";

/** Valid configurations that between them use every part of the format. */
const SEEDS: object[] = [
  { processes: [{ id: "a", cmd: "node server.js", autostart: true }] },
  {
    $schema: "./pup.schema.json",
    name: "full@1.0",
    api: { hostname: "127.0.0.1", port: 8080, revoked: ["old-client"] },
    logger: {
      console: true,
      stdout: "out.log",
      stderr: "err.log",
      decorate: true,
      colors: false,
      decorateFiles: true,
      internalLogHours: 24,
    },
    watcher: { interval: 500, exts: ["js"], match: ["src/**"], skip: ["**/node_modules/**"] },
    terminateTimeout: 10,
    terminateGracePeriod: 1,
    processes: [
      {
        id: "web",
        cmd: "node web.js",
        cwd: "app",
        env: { PORT: "3000", MODE: "prod" },
        path: "/opt/bin",
        autostart: true,
        restart: "always",
        restartDelayMs: 100,
        restartBackoffMaxMs: 1600,
        restartResetMs: 60000,
        restartLimit: 5,
        maxMemoryMb: 256,
        cluster: { instances: 2, startPort: 3001, commonPort: 3000, strategy: "least-connections" },
        healthcheck: { http: "http://127.0.0.1:{port}/health", intervalMs: 1000, retries: 2 },
        logger: { console: false, stdout: "web.log", decorateFiles: true },
        terminateTimeout: 5,
      },
      { id: "db", cmd: "node db.js", autostart: true, healthcheck: { tcp: "127.0.0.1:5432" } },
      {
        id: "job",
        worker: ["job.js", "--fast"],
        cron: "*/5 * * * * *",
        overrun: true,
        timeout: 60,
        terminate: "0 0 * * *",
        dependsOn: ["db"],
        pidFile: "job.pid",
      },
      { id: "dev", cmd: "npm run dev", watch: ["src"], restart: "error" },
    ],
    plugins: [{ url: "./plugin.mjs", options: { deep: { list: [1, "two", null] } } }],
  },
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** Every path in a value, the root first. */
function pathsOf(value: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) pathsOf(v, [...at, i], out);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  }
  return out;
}

function parentOf(root: Json, path: Path): { parent: Json; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let parent = root;
  for (const part of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[part];
  return { parent, key: path[path.length - 1] };
}

function nested(depth: number, leaf: Json, asArray: boolean): Json {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

const hugeNumber = fc.constantFrom(
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER - 2,
  2 ** 53,
  -0,
  0.1,
  1e-320,
  65536,
  -1,
  86_400_001,
);
const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "\0",
    "line\nbreak",
    "\r\n",
    "\u2028",
    "tab\there",
    "é😀",
    "\\",
    '"',
    "{port}",
    "* * *",
    "* * * * * * *",
    "__proto__",
    "constructor",
    "toString",
    "a".repeat(5000),
  ),
);
const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  hugeNumber,
  oddString,
  fc.constant(null),
  fc.boolean(),
);
const deep: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 20, max: 400 }), leaf, fc.boolean())
  .map(([depth, value, asArray]) => nested(depth, value, asArray));
const anyValue = fc.oneof({ weight: 4, arbitrary: leaf }, { weight: 1, arbitrary: deep });
const oddKey = fc.oneof(oddString, fc.constantFrom("restartDelay", "loger", "Processes", "id ", "cmd\n"));

type Mutation =
  | { kind: "replace"; pick: number; value: Json }
  | { kind: "delete"; pick: number }
  | { kind: "addKey"; pick: number; key: string; value: Json }
  | { kind: "wrap"; pick: number; asArray: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), pick: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("addKey" as const), pick: fc.nat(), key: oddKey, value: anyValue }),
  fc.record({ kind: fc.constant("wrap" as const), pick: fc.nat(), asArray: fc.boolean() }),
);

function mutate(root: Json, m: Mutation): Json {
  const paths = pathsOf(root);
  const path = paths[m.pick % paths.length];
  const target = parentOf(root, path);
  const set = (value: Json) => {
    if (!target) return value;
    (target.parent as Record<string | number, Json>)[target.key] = value;
    return root;
  };
  const current = target ? (target.parent as Record<string | number, Json>)[target.key] : root;
  switch (m.kind) {
    case "replace":
      return set(structuredClone(m.value));
    case "delete":
      if (!target) return root;
      if (Array.isArray(target.parent)) target.parent.splice(target.key as number, 1);
      else delete (target.parent as Record<string, Json>)[target.key];
      return root;
    case "addKey":
      if (current !== null && typeof current === "object" && !Array.isArray(current)) {
        Object.defineProperty(current, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return root;
    case "wrap":
      return set(m.asArray ? [current] : { value: current });
  }
}

/** Edits of the text itself: cut short, a stray character, a number JSON cannot hold. */
type TextEdit =
  | { at: number; kind: "cut" }
  | { at: number; kind: "insert"; text: string }
  | { at: number; kind: "drop"; length: number };
const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ at: fc.nat(), kind: fc.constant("cut" as const) }),
  fc.record({
    at: fc.nat(),
    kind: fc.constant("insert" as const),
    text: fc.oneof(
      fc.constantFrom(
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        '"',
        "'",
        "/*",
        "//",
        "\n",
        "\\",
        "1e999",
        "-Infinity",
        "NaN",
        "0x1F",
        "+.5",
        "\u0000",
        "\uFEFF",
      ),
      fc.string({ maxLength: 5 }),
    ),
  }),
  fc.record({ at: fc.nat(), kind: fc.constant("drop" as const), length: fc.integer({ min: 1, max: 20 }) }),
);

function edit(text: string, e: TextEdit): string {
  const at = text.length === 0 ? 0 : e.at % text.length;
  if (e.kind === "cut") return text.slice(0, at);
  if (e.kind === "insert") return text.slice(0, at) + e.text + text.slice(at);
  return text.slice(0, at) + text.slice(at + e.length);
}

/** A JSON path as the loader writes it: `processes[1].restart` (odd keys quoted in brackets). */
const PATH =
  /^(?:[A-Za-z_$][\w$]*|\["(?:[^"\\]|\\.)*"\])(?:\[\d+\]|\.[A-Za-z_$][\w$]*|\["(?:[^"\\]|\\.)*"\])*: /;
const WHOLE_FILE =
  /^(?:not valid JSON\/JSON5( at line \d+, column \d+)?: |expected an object at the top level$)/;

/** Load `text`; a rejection must be one short ConfigError line naming the file and the place. */
function check(text: string): "accepted" | "rejected" {
  try {
    parseConfig(text, LABEL);
    return "accepted";
  } catch (err) {
    const shown = (s: string) => JSON.stringify(s.length > 300 ? `${s.slice(0, 300)}…` : s);
    assert.ok(
      err instanceof ConfigError,
      `not a ConfigError: ${shown(String((err as Error)?.stack ?? err))}`,
    );
    const message = err.message;
    assert.ok(!/[\n\r\u2028\u2029]/.test(message), `more than one line: ${shown(message)}`);
    for (const problem of message.split(/; (?=pup\.json: )/)) {
      assert.ok(problem.startsWith(`${LABEL}: `), `does not name the file: ${shown(problem)}`);
      const rest = problem.slice(LABEL.length + 2);
      assert.ok(PATH.test(rest) || WHOLE_FILE.test(rest), `names no place: ${shown(problem)}`);
      assert.ok(problem.length <= 1000, `a line of ${problem.length} characters: ${shown(problem)}`);
    }
    return "rejected";
  }
}

/** fc.assert, with the failing check's own message (and the counterexample) in the test's error. */
function holds<T extends unknown[]>(property: fc.IProperty<T>, numRuns: number): void {
  const result = fc.check(property, { numRuns });
  if (!result.failed) return;
  const reason =
    result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
  const example = JSON.stringify(result.counterexample, (_k, v) =>
    typeof v === "string" && v.length > 200 ? `${v.slice(0, 200)}…` : v,
  );
  assert.fail(`${reason}\ncounterexample (seed ${result.seed}): ${example?.slice(0, 2000)}`);
}

const serialized = (value: Json, json5: boolean) =>
  json5 ? JSON5.stringify(value, null, 2) : JSON.stringify(value, null, 2);

test("the seeds are valid", () => {
  for (const seed of SEEDS) assert.equal(check(JSON.stringify(seed)), "accepted");
});

test("mutated configurations: a configuration or one ConfigError line with file and path", () => {
  holds(
    fc.property(
      fc.constantFrom(...SEEDS),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      (seed, mutations, json5) => {
        let value = structuredClone(seed) as Json;
        for (const m of mutations) value = mutate(value, m);
        check(serialized(value, json5));
      },
    ),
    400,
  );
});

const PROCESS_KEYS = new Set([
  "id",
  "cmd",
  "worker",
  "cwd",
  "env",
  "path",
  "pidFile",
  "timeout",
  "overrun",
  "autostart",
  "cron",
  "watch",
  "restart",
  "restartDelayMs",
  "restartLimit",
  "restartBackoffMaxMs",
  "restartResetMs",
  "healthcheck",
  "maxMemoryMb",
  "dependsOn",
  "terminate",
  "terminateGracePeriod",
  "terminateTimeout",
  "logger",
  "cluster",
]);

test("an unknown key or a value of the wrong type is always refused, never started", () => {
  const typedPaths: Path[] = [
    ["processes"],
    ["processes", 0, "id"],
    ["processes", 0, "autostart"],
    ["processes", 0, "restartDelayMs"],
    ["api"],
    ["terminateTimeout"],
  ];
  holds(
    fc.property(
      fc.constantFrom(...SEEDS),
      fc.constantFrom(...typedPaths),
      fc.oneof(
        fc.constant(null),
        fc.constant([]),
        fc.constant({ x: 1 }),
        oddString.filter((s) => s !== ""),
      ),
      fc.oneof(
        oddKey.filter((k) => !["__proto__"].includes(k)),
        fc.constantFrom("restartDelay", "loger"),
      ),
      (seed, path, wrong, unknown) => {
        const value = structuredClone(seed) as Record<string, Json>;
        const target = parentOf(value, path)!;
        const parent = target.parent as Record<string | number, Json>;
        // A string is right for an id: there an object is wrong.
        parent[target.key] = path.at(-1) === "id" && typeof wrong === "string" ? { wrong } : (wrong as Json);
        const emptyList = path.length === 1 && path[0] === "processes" && Array.isArray(wrong);
        if (!emptyList) assert.equal(check(JSON.stringify(value)), "rejected", JSON.stringify(path));

        const extra = structuredClone(seed) as Record<string, Json>;
        const proc = (extra.processes as Array<Record<string, Json>>)[0];
        Object.defineProperty(proc, unknown, {
          value: 1,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        if (!PROCESS_KEYS.has(unknown)) assert.equal(check(JSON.stringify(extra)), "rejected", unknown);
      },
    ),
    200,
  );
});

test("extremes: very deep nesting, very long keys and values", () => {
  for (const depth of [5000, 100_000]) {
    for (const [open, close] of [
      ["[", "]"],
      ['{"a":', "}"],
    ]) {
      const deepText = `${open.repeat(depth)}1${close.repeat(depth)}`;
      check(`{"processes": ${deepText}}`);
      check(`{"processes": [{"id": "a", "cmd": "x", "env": ${deepText}}]}`);
      check(`{"processes": [{"id": "a", "cmd": "x", "dependsOn": ${deepText}}]}`);
      check(`{"processes": [{"id": "a", "cmd": "x"}], "plugins": [{"url": "p", "options": ${deepText}}]}`);
      check(`{"processes": [${open.repeat(depth)}`);
    }
  }
  // Found by this fuzz: an out-of-range instance count reached the id-clash check, which names
  // every instance (2^53 of them) and ran out of memory.
  for (const instances of [2 ** 53, 1e308, 65536]) {
    const text = JSON.stringify({ processes: [{ id: "a", cmd: "x", cluster: { instances } }] });
    assert.equal(check(text), "rejected");
    assert.throws(() => parseConfig(text, LABEL), /processes\[0\]\.cluster\.instances: /);
  }
  const long = "x".repeat(100_000);
  for (const [key, value] of [
    [long, 1],
    ["cmd", long],
    ["id", long],
    ["cron", long],
    ["cron", `* * * *\n${long}`],
    ["dependsOn", [`b\n${long}`]],
  ] as const) {
    check(JSON.stringify({ processes: [{ id: "a", cmd: "x", [key]: value }] }));
  }
});

test("random text: never anything but a configuration or a ConfigError line", () => {
  const seedTexts = SEEDS.flatMap((s) => [JSON.stringify(s, null, 2), JSON5.stringify(s)]);
  holds(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc
          .tuple(fc.constantFrom(...seedTexts), fc.array(textEdit, { minLength: 1, maxLength: 6 }))
          .map(([text, edits]) => edits.reduce(edit, text)),
      ),
      (text) => {
        check(text);
      },
    ),
    600,
  );
});
