import assert from "node:assert/strict";
import { describe, test } from "node:test";
import JSON5 from "json5";
import {
  appendProcessText,
  newConfigText,
  removeProcessText,
  UneditableTextError,
} from "../../src/config/edit-text.ts";
import { parseConfig } from "../../src/config/load.ts";

/** A hand-written pup.jsonc: comments everywhere, blank lines, keys in no particular order. */
const JSONC = `// pup configuration for the demo
{
  "$schema": "./pup.schema.json",
  "name": "demo", // the instance

  /* The REST API
     listens here. */
  "api": { "port": 8080 },

  "processes": [
    // the web tier
    {
      "id": "web",
      "cmd": "node server.js", // entry point
      "autostart": true
    },

    { "id": "job", "cmd": "echo hi", "cron": "0 * * * *" }, // hourly
    {
      "cmd": "node queue.js",
      "id": "queue",
      /* restarts on errors only */
      "restart": "error"
    }
  ],
  "terminateTimeout": 10, // seconds
}
`;

const ids = (text: string) => (JSON5.parse(text).processes as Array<{ id: string }>).map((p) => p.id);

describe("appending a process to the file's text", () => {
  test("a commented pup.jsonc: only the new entry and a comma are added; removing it restores every byte", () => {
    const after = appendProcessText(JSONC, { id: "mail", cmd: "node mail.js", autostart: true });
    const expected = JSONC.replace(
      `      "restart": "error"
    }
  ],`,
      `      "restart": "error"
    },
    {
      "id": "mail",
      "cmd": "node mail.js",
      "autostart": true
    }
  ],`,
    );
    assert.equal(after, expected);
    assert.deepEqual(ids(after), ["web", "job", "queue", "mail"]);
    parseConfig(after, "pup.jsonc");
    assert.equal(removeProcessText(after, 3), JSONC);
  });

  test("after a last entry with a trailing comment, the comma goes before the comment and the entry after it", () => {
    const text = `{
  "processes": [
    { "id": "a", "cmd": "x" }, // first
    { "id": "b", "cmd": "y" } // second
  ]
}
`;
    const after = appendProcessText(text, { id: "c", cmd: "z", watch: ["src"], cluster: { instances: 2 } });
    assert.equal(
      after,
      `{
  "processes": [
    { "id": "a", "cmd": "x" }, // first
    { "id": "b", "cmd": "y" }, // second
    { "id": "c", "cmd": "z", "watch": ["src"], "cluster": { "instances": 2 } }
  ]
}
`,
    );
    assert.equal(removeProcessText(after, 2), text);
  });

  test("JSON5: unquoted keys, single quotes, tabs and trailing commas are followed by the new entry", () => {
    const text = `{
\t// JSON5 is fine
\tprocesses: [
\t\t{
\t\t\tid: 'a',
\t\t\tcmd: 'echo "a"',
\t\t\trestartDelayMs: 0x10,
\t\t},
\t],
\tterminateTimeout: +5,
}
`;
    const after = appendProcessText(text, { id: "b", cmd: "it's", env: { "NODE-ENV": "x", PORT: "80" } });
    assert.equal(
      after,
      `{
\t// JSON5 is fine
\tprocesses: [
\t\t{
\t\t\tid: 'a',
\t\t\tcmd: 'echo "a"',
\t\t\trestartDelayMs: 0x10,
\t\t},
\t\t{
\t\t\tid: 'b',
\t\t\tcmd: 'it\\'s',
\t\t\tenv: {
\t\t\t\t'NODE-ENV': 'x',
\t\t\t\tPORT: '80',
\t\t\t},
\t\t},
\t],
\tterminateTimeout: +5,
}
`,
    );
    assert.equal(JSON5.parse(after).processes[1].cmd, "it's");
    assert.equal(removeProcessText(after, 1), text);
  });

  test("strict JSON with four spaces stays strict JSON with four spaces", () => {
    const text = `${JSON.stringify({ processes: [{ id: "a", cmd: "x" }] }, null, 4)}\n`;
    const after = appendProcessText(text, { id: "b", cmd: 'say "hi"', logger: { stdout: "b.log" } });
    assert.equal(
      after,
      `${JSON.stringify(
        {
          processes: [
            { id: "a", cmd: "x" },
            { id: "b", cmd: 'say "hi"', logger: { stdout: "b.log" } },
          ],
        },
        null,
        4,
      )}\n`,
    );
    assert.equal(removeProcessText(after, 1), text);
  });

  test("Windows line endings are kept", () => {
    const text = `{\r\n  "processes": [\r\n    {\r\n      "id": "a",\r\n      "cmd": "x"\r\n    }\r\n  ]\r\n}\r\n`;
    const after = appendProcessText(text, { id: "b", cmd: "y" });
    assert.equal(
      after,
      `{\r\n  "processes": [\r\n    {\r\n      "id": "a",\r\n      "cmd": "x"\r\n    },\r\n    {\r\n      "id": "b",\r\n      "cmd": "y"\r\n    }\r\n  ]\r\n}\r\n`,
    );
    assert.equal(removeProcessText(after, 1), text);
  });

  test("an array on one line stays on one line, with the file's spacing", () => {
    const text = `{"processes":[{"id":"a","cmd":"x"},{"id":"b","cmd":"y"}]}`;
    const after = appendProcessText(text, { id: "c", cmd: "z" });
    assert.equal(after, `{"processes":[{"id":"a","cmd":"x"},{"id":"b","cmd":"y"},{"id":"c","cmd":"z"}]}`);
    assert.equal(removeProcessText(after, 2), text);
  });

  test("an empty array gets the entry indented one level below its key", () => {
    const text = `{\n    "name": "x",\n    "processes": [] // none yet\n}\n`;
    const after = appendProcessText(text, { id: "a", cmd: "x" });
    assert.equal(
      after,
      `{\n    "name": "x",\n    "processes": [\n        {\n            "id": "a",\n            "cmd": "x"\n        }\n    ] // none yet\n}\n`,
    );
  });
});

describe("removing a process from the file's text", () => {
  test("an entry's own lines go, with the comments inside and after it; comments above and around stay", () => {
    assert.equal(
      removeProcessText(JSONC, 0),
      JSONC.replace(
        `    {
      "id": "web",
      "cmd": "node server.js", // entry point
      "autostart": true
    },
`,
        "",
      ),
    );
    assert.equal(
      removeProcessText(JSONC, 1),
      JSONC.replace(`    { "id": "job", "cmd": "echo hi", "cron": "0 * * * *" }, // hourly\n`, ""),
    );
  });

  test("the last entry takes the comma before it along", () => {
    const after = removeProcessText(JSONC, 2);
    assert.equal(
      after,
      JSONC.replace(
        `    { "id": "job", "cmd": "echo hi", "cron": "0 * * * *" }, // hourly
    {
      "cmd": "node queue.js",
      "id": "queue",
      /* restarts on errors only */
      "restart": "error"
    }
`,
        `    { "id": "job", "cmd": "echo hi", "cron": "0 * * * *" } // hourly
`,
      ),
    );
    assert.deepEqual(ids(after), ["web", "job"]);
  });

  test("entries on one line", () => {
    const text = `{ "processes": [{ "id": "a", "cmd": "x" }, { "id": "b", "cmd": "y" }, { "id": "c", "cmd": "z" }] }`;
    assert.equal(
      removeProcessText(text, 0),
      `{ "processes": [{ "id": "b", "cmd": "y" }, { "id": "c", "cmd": "z" }] }`,
    );
    assert.equal(
      removeProcessText(text, 1),
      `{ "processes": [{ "id": "a", "cmd": "x" }, { "id": "c", "cmd": "z" }] }`,
    );
    assert.equal(
      removeProcessText(text, 2),
      `{ "processes": [{ "id": "a", "cmd": "x" }, { "id": "b", "cmd": "y" }] }`,
    );
  });
});

describe("text that cannot be edited", () => {
  test("no processes array, or text that is not JSON5: refused with a reason", () => {
    assert.throws(() => appendProcessText(`{ "processes": {} }`, { id: "a" }), UneditableTextError);
    assert.throws(() => removeProcessText(`{ "processes": [`, 0), UneditableTextError);
  });
});

describe("a new file", () => {
  test("two-space JSON, strings inline in arrays", () => {
    const text = newConfigText({ name: "demo", processes: [{ id: "a", cmd: "x", watch: ["src", "lib"] }] });
    assert.equal(
      text,
      `{
  "name": "demo",
  "processes": [
    {
      "id": "a",
      "cmd": "x",
      "watch": ["src", "lib"]
    }
  ]
}
`,
    );
    assert.deepEqual(JSON.parse(text).processes[0].watch, ["src", "lib"]);
  });
});
