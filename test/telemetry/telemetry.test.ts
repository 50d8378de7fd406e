import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import { Instance } from "../../src/instance/instance.ts";
import { defaultServices } from "../../src/instance/services.ts";
import { PupTelemetry } from "../../src/telemetry/telemetry.ts";
import { ROOT } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

const { dir, cleanup } = tempDir();
let instance: Instance | undefined;
after(async () => {
  await instance?.terminate("test over");
  cleanup();
});

test("outside pup the telemetry client does nothing", async () => {
  const telemetry = new PupTelemetry({ env: {} });
  assert.equal(telemetry.enabled, false);
  await telemetry.emit("x", "y", 1);
  telemetry.on("y", () => assert.fail("never called"));
  telemetry.close();
});

test("a managed process reports its memory and exchanges IPC events with another", async () => {
  const lib = path.join(ROOT, "dist", "telemetry", "index.js");
  writeFileSync(
    path.join(dir, "echo.mjs"),
    `import { PupTelemetry } from ${JSON.stringify(lib)};
     const t = new PupTelemetry(1);
     t.on("ping", (data, sender) => {
       console.log("got ping " + data.n + " from " + sender);
       t.emit(sender, "pong", { n: data.n + 1 });
     });
     setInterval(() => {}, 1000);`,
  );
  writeFileSync(
    path.join(dir, "caller.mjs"),
    `import { PupTelemetry } from ${JSON.stringify(lib)};
     const t = new PupTelemetry(1);
     let answered = false;
     t.on("pong", (data, sender) => { answered = true; console.log("got pong " + data.n + " from " + sender); });
     const ask = setInterval(() => answered ? clearInterval(ask) : t.emit("echo", "ping", { n: 1 }), 300);
     setInterval(() => {}, 1000);`,
  );
  const raw = {
    logger: { console: false },
    processes: [
      { id: "echo", cmd: "node echo.mjs", autostart: true },
      { id: "caller", cmd: "node caller.mjs", autostart: true },
    ],
  };
  const configPath = writeJson(path.join(dir, "pup.json"), raw);
  instance = new Instance({
    config: validateConfig(raw, "test"),
    configPath,
    services: defaultServices(),
  });
  const lines: string[] = [];
  instance.logger.on("log", (e) => lines.push(`${e.processId}: ${e.text}`));
  await instance.start();
  await waitFor(
    () => lines.includes("caller: got pong 2 from echo"),
    `the pong\n${lines.join("\n")}`,
    15_000,
  );
  assert.ok(lines.includes("echo: got ping 1 from caller"));
  const telemetry = await waitFor(
    () => instance!.supervisor.get("echo").status.telemetry,
    "a telemetry report",
  );
  assert.equal(telemetry.sender, "echo");
  assert.ok((telemetry.memory as { rss: number }).rss > 1_000_000);
  assert.equal(telemetry.cwd, dir);
});
