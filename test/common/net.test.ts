import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { hostPort, reachableHost, reachableUrl } from "../../src/common/net.ts";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

test("the reachable address of a bound host: wildcards become loopback of their family", () => {
  assert.equal(reachableHost("0.0.0.0"), "127.0.0.1");
  assert.equal(reachableHost("::"), "::1");
  assert.equal(reachableHost("0:0:0:0:0:0:0:0"), "::1");
  assert.equal(reachableHost("127.0.0.1"), "127.0.0.1");
  assert.equal(reachableHost("::1"), "::1");
  assert.equal(reachableHost("localhost"), "localhost");
  assert.equal(reachableHost("10.1.2.3"), "10.1.2.3");
  assert.equal(hostPort("::1", 8080), "[::1]:8080");
  assert.equal(hostPort("127.0.0.1", 8080), "127.0.0.1:8080");
  assert.equal(hostPort("example.org", "80"), "example.org:80");
  assert.equal(reachableUrl("::", 1), "http://[::1]:1");
  assert.equal(reachableUrl("0.0.0.0", 2), "http://127.0.0.1:2");
});

test("an API bound to :: is reached by the CLI, the children and the plugins", async () => {
  const { dir, cleanup } = tempDir();
  const record = path.join(dir, "record.txt");
  writeFileSync(
    path.join(dir, "plugin.mjs"),
    `import { appendFileSync } from "node:fs";
     export class PupPlugin {
       constructor(config, address, token) {
         this.meta = { name: "probe", version: "1.0.0", api: "1", repository: "https://example.invalid/probe" };
         fetch("http://" + address + "/state", { headers: { authorization: "Bearer " + token } })
           .then((r) => appendFileSync(config.options.file, "plugin " + address + " " + r.status + "\\n"),
                 (e) => appendFileSync(config.options.file, "plugin " + address + " " + e.cause?.code + "\\n"));
       }
     }`,
  );
  const file = writeJson(path.join(dir, "pup.json"), {
    api: { hostname: "::" },
    processes: [{ id: "a", cmd: "sh -c 'echo host=$PUP_API_HOSTNAME; exec sleep 1000'", autostart: true }],
    plugins: [{ url: "./plugin.mjs", options: { file: record } }],
  });
  const p = new PupProcess(["run", "--config", file]);
  try {
    await p.waitForOutput("[a:stdout] host=::1");
    const status = await runPup(["status", "--json", "--config", file]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).pid, p.pid);
    const line = await waitFor(
      () => (existsSync(record) ? readFileSync(record, "utf8").match(/^plugin .*$/m)?.[0] : undefined),
      "the plugin's request",
    );
    assert.match(line, /^plugin \[::1\]:\d+ 200$/);
  } finally {
    await p.kill();
    cleanup();
  }
});
