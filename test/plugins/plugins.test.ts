import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import { Instance } from "../../src/instance/instance.ts";
import { defaultServices } from "../../src/instance/services.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

const { dir, cleanup } = tempDir();
after(cleanup);

test("plugins get the API address and a working token, and cleanup() at the end; broken ones are skipped", async () => {
  const record = path.join(dir, "record.txt");
  writeFileSync(
    path.join(dir, "good-plugin.mjs"),
    `import { appendFileSync } from "node:fs";
     export class PupPlugin {
       constructor(config, address, token) {
         this.meta = { name: "recorder", version: "1.2.3", api: "1", repository: "https://example.invalid/recorder" };
         this.file = config.options.file;
         appendFileSync(this.file, "constructed " + address + "\\n");
         fetch("http://" + address + "/processes", { headers: { authorization: "Bearer " + token } })
           .then((r) => appendFileSync(this.file, "processes " + r.status + "\\n"));
       }
       cleanup() { appendFileSync(this.file, "cleanup\\n"); }
     }`,
  );
  writeFileSync(path.join(dir, "no-class.mjs"), "export const nothing = 1;");
  writeFileSync(
    path.join(dir, "no-meta.mjs"),
    "export class PupPlugin { constructor() { this.meta = { name: 'x' }; } }",
  );
  writeFileSync(
    path.join(dir, "throws.mjs"),
    "export class PupPlugin { constructor() { throw new Error('boom'); } }",
  );
  const raw = {
    logger: { console: false },
    processes: [{ id: "p", cmd: "sleep 1000", autostart: true }],
    plugins: [
      { url: "./no-class.mjs" },
      { url: "./good-plugin.mjs", options: { file: record } },
      { url: "./no-meta.mjs" },
      { url: "./throws.mjs" },
      { url: "./missing.mjs" },
    ],
  };
  const configPath = writeJson(path.join(dir, "pup.json"), raw);
  const instance = new Instance({
    config: validateConfig(raw, "test"),
    configPath,
    services: defaultServices(),
  });
  const log: string[] = [];
  instance.logger.on("log", (e) => log.push(`[${e.category}] ${e.text}`));
  try {
    await instance.start();
    await waitFor(() => readFileSync(record, "utf8").includes("processes 200"), "the plugin's API call");
    const port = readFileSync(instance.paths.portFile, "utf8");
    assert.match(readFileSync(record, "utf8"), new RegExp(`^constructed 127\\.0\\.0\\.1:${port}$`, "m"));
    const text = log.join("\n");
    assert.match(text, /loaded plugin recorder 1\.2\.3 from \.\/good-plugin\.mjs/);
    assert.match(text, /plugin \.\/no-class\.mjs skipped: it does not export a class PupPlugin/);
    assert.match(text, /plugin \.\/no-meta\.mjs skipped: meta\.version is missing/);
    assert.match(text, /plugin \.\/throws\.mjs skipped: boom/);
    assert.match(text, /plugin \.\/missing\.mjs skipped/);
    await waitFor(
      () => instance.supervisor.get("p").status.status === 200,
      "the process to run despite broken plugins",
    );
  } finally {
    await instance.terminate("test over");
  }
  assert.match(readFileSync(record, "utf8"), /cleanup\n$/);
});
