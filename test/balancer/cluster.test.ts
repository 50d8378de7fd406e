import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import { LoadBalancer } from "../../src/balancer/load-balancer.ts";
import { validateConfig } from "../../src/config/load.ts";
import { ProcessState } from "../../src/core/states.ts";
import { Instance } from "../../src/instance/instance.ts";
import { defaultServices } from "../../src/instance/services.ts";
import { freePorts } from "../helpers/ports.ts";
import { tempDir } from "../helpers/tmp.ts";
import { alive, waitFor } from "../helpers/wait.ts";

const { dir, cleanup } = tempDir();
const instances: Instance[] = [];
after(async () => {
  await Promise.all(instances.map((i) => i.terminate("test over")));
  cleanup();
});

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

async function startCluster(strategy: string) {
  const server = path.join(dir, "server.cjs");
  writeFileSync(
    server,
    `require("node:http").createServer((q, s) => s.end(process.env.PUP_PROCESS_ID)).listen(Number(process.env.PUP_CLUSTER_PORT), "127.0.0.1");`,
  );
  const base = await freePorts(4);
  const startPort = base + 1;
  const commonPort = base;
  const config = validateConfig(
    {
      processes: [
        {
          id: "web",
          cmd: `node ${server}`,
          autostart: true,
          cluster: { instances: 3, startPort, commonPort, strategy },
        },
      ],
    },
    "test",
  );
  const instance = new Instance({
    config,
    configPath: path.join(dir, `${strategy}.json`),
    services: defaultServices(),
  });
  instance.logger.on("log", () => {});
  instances.push(instance);
  await instance.start();
  for (let n = 1; n <= 3; n++) {
    await waitFor(() => get(startPort + n - 1).catch(() => false), `instance ${n} to answer`);
  }
  return { instance, commonPort };
}

test("round-robin spreads requests over every instance; a stopped instance is skipped", async () => {
  const { instance, commonPort } = await startCluster("round-robin");
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) seen.push(await get(commonPort));
  assert.deepEqual([...new Set(seen)].sort(), ["web-1", "web-2", "web-3"]);
  await instance.supervisor.stopProcess("web-2");
  assert.equal(instance.supervisor.get("web").status.status, ProcessState.MIXED);
  const after: string[] = [];
  for (let i = 0; i < 6; i++) after.push(await get(commonPort));
  assert.ok(!after.includes("web-2"), `sent to a stopped instance: ${after}`);
  assert.deepEqual([...new Set(after)].sort(), ["web-1", "web-3"]);
});

test("a backend that refuses connections is skipped without failing the client", async () => {
  const { instance, commonPort } = await startCluster("round-robin");
  // Kill instance 1 behind the supervisor's back: it is RUNNING until the exit is seen, and refuses.
  const pid = instance.supervisor.get("web-1").status.pid!;
  process.kill(pid, "SIGKILL");
  await waitFor(() => !alive(pid), "instance 1 to be gone");
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) answers.push(await get(commonPort));
  assert.ok(
    answers.every((a) => a === "web-2" || a === "web-3" || a === "web-1"),
    String(answers),
  );
  assert.equal(answers.length, 6, "every request answered");
});

test("a backend that accepts and drops the connection before answering costs the client nothing", async () => {
  const dropper = net.createServer((socket) => socket.destroy()).listen(0, "127.0.0.1");
  const good = http.createServer((_q, res) => res.end("good")).listen(0, "127.0.0.1");
  await Promise.all([dropper, good].map((s) => new Promise((r) => s.once("listening", r))));
  const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
  const balancer = new LoadBalancer({
    port: 0,
    hostname: "127.0.0.1",
    strategy: "round-robin",
    backends: [
      { host: "127.0.0.1", port: port(dropper) },
      { host: "127.0.0.1", port: port(good) },
    ],
    log: () => {},
  });
  balancer.setRunning(0, true);
  balancer.setRunning(1, true);
  await balancer.listen();
  after(async () => {
    await balancer.close();
    dropper.close();
    good.close();
  });
  for (let i = 0; i < 4; i++) assert.equal(await get(balancer.address!.port), "good");
  assert.equal(balancer.backends[0].up, false, "the dropping backend is marked down");
});

test("ip-hash sends a client to the same instance every time", async () => {
  const { commonPort } = await startCluster("ip-hash");
  const answers = new Set<string>();
  for (let i = 0; i < 6; i++) answers.add(await get(commonPort));
  assert.equal(answers.size, 1);
});

test("a commonPort in use is a clear startup error", async () => {
  const blocker = net.createServer().listen(0, "0.0.0.0");
  await new Promise((r) => blocker.once("listening", r));
  const commonPort = (blocker.address() as net.AddressInfo).port;
  after(() => blocker.close());
  const config = validateConfig(
    {
      processes: [
        {
          id: "api",
          cmd: "sleep 1000",
          autostart: true,
          cluster: { instances: 2, startPort: 40000, commonPort },
        },
      ],
    },
    "test",
  );
  const instance = new Instance({
    config,
    configPath: path.join(dir, "busy.json"),
    services: defaultServices(),
  });
  instance.logger.on("log", () => {});
  await assert.rejects(
    instance.start(),
    new RegExp(`cluster "api": commonPort ${commonPort}: port ${commonPort} is already in use`),
  );
  assert.equal(instance.supervisor.get("api-1").status.status, ProcessState.CREATED, "nothing started");
});
