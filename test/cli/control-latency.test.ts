import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { signToken } from "../../src/api/tokens.ts";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

const { dir, cleanup } = tempDir("pup-latency-");
let instance: PupProcess | undefined;
after(async () => {
  await instance?.kill();
  cleanup();
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

test("latency with 50 processes: GET /processes and `pup status` end to end", async (t) => {
  const processes = Array.from({ length: 50 }, (_, i) => ({
    id: `p${i}`,
    cmd: "sleep 1000",
    autostart: true,
  }));
  const file = writeJson(path.join(dir, "pup.json"), { logger: { console: false }, processes });
  instance = new PupProcess(["run", "--config", file]);
  const portFile = path.join(dir, ".pup", "pup.json-tmp", ".main.port");
  await waitFor(() => existsSync(portFile), "the port file");
  const port = readFileSync(portFile, "utf8");
  const secret = readFileSync(path.join(dir, ".pup", "pup.json-data", ".main.secret"), "utf8");
  const token = await signToken(secret, { consumer: "bench", expiresIn: 300 });
  const get = () =>
    fetch(`http://127.0.0.1:${port}/processes`, { headers: { authorization: `Bearer ${token}` } });
  await waitFor(async () => {
    const body = (await (await get()).json()) as { data: Array<{ status: { status: number } }> };
    return body.data.every((e: { status: { status: number } }) => e.status.status === 200);
  }, "50 running processes");

  for (let i = 0; i < 20; i++) await (await get()).arrayBuffer();
  const api: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const r = await get();
    await r.arrayBuffer();
    api.push(performance.now() - t0);
    assert.equal(r.status, 200);
  }

  const cli: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const r = await runPup(["status", "--config", file]);
    cli.push(performance.now() - t0);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split("\n").filter((l) => /^p\d+\s/.test(l)).length, 50);
  }
  const report =
    `GET /processes (50 processes): median ${median(api).toFixed(2)} ms over ${api.length}; ` +
    `pup status end to end: median ${median(cli).toFixed(0)} ms over ${cli.length}`;
  t.diagnostic(report);
  process.stderr.write(`${report}\n`);
  // Generous bounds: a shared test machine, but an order of magnitude off is a regression.
  assert.ok(median(api) < 50, report);
  assert.ok(median(cli) < 3000, report);
});
