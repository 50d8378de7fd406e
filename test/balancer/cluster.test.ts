import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import { signToken } from "../../src/api/sign.ts";
import type { ApplicationState } from "../../src/api/state.ts";
import { LoadBalancer } from "../../src/balancer/load-balancer.ts";
import { balancersOf } from "../../src/balancer/view.ts";
import { validateConfig } from "../../src/config/load.ts";
import { ProcessState } from "../../src/core/states.ts";
import { Instance } from "../../src/instance/instance.ts";
import { defaultServices } from "../../src/instance/services.ts";
import { get, steadyLoad } from "../helpers/http-load.ts";
import { freePorts } from "../helpers/ports.ts";
import { tempDir } from "../helpers/tmp.ts";
import { alive, waitFor } from "../helpers/wait.ts";

const { dir, cleanup } = tempDir();
const instances: Instance[] = [];
after(async () => {
  await Promise.all(instances.map((i) => i.terminate("test over")));
  cleanup();
});

/** Once every instance has served more under `load`, stops it: no client may have seen a failure. */
async function assertServedThroughout(load: ReturnType<typeof steadyLoad>, ids: string[]): Promise<void> {
  const servedBefore = new Map(ids.map((id) => [id, load.answers.get(id) ?? 0]));
  await waitFor(
    () => ids.every((id) => (load.answers.get(id) ?? 0) > servedBefore.get(id)! + 5),
    "all to serve",
  );
  await load.stop();
  assert.deepEqual(load.failures, [], "no client saw a failed request");
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

test("an instance whose health check fails (process_health_changed) gets no new client until it passes again", async () => {
  const { instance, commonPort } = await startCluster("round-robin");
  // The core's health checks announce changes with this event (SPEC §8.1).
  const announce = (id: string, health: string) =>
    (instance.supervisor.events.emit as (event: string, data: unknown) => boolean)("process_health_changed", {
      id,
      old: "healthy",
      new: health,
      reason: "test",
    });
  announce("web-2", "unhealthy");
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) answers.push(await get(commonPort));
  assert.deepEqual([...new Set(answers)].sort(), ["web-1", "web-3"]);
  const web2 = balancersOf(instance)!.stats()[0].backends[1];
  assert.deepEqual([web2.name, web2.healthy, web2.inRotation], ["web-2", false, false]);
  announce("web-2", "healthy");
  const again: string[] = [];
  for (let i = 0; i < 6; i++) again.push(await get(commonPort));
  assert.ok(again.includes("web-2"), String(again));
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

/** An instance that stops as a well-behaved server does on SIGTERM: finish, then close. */
const GRACEFUL_SERVER = `
const http = require("node:http");
let stopping = false;
const server = http.createServer((q, s) => {
  if (stopping) s.setHeader("connection", "close");
  s.setHeader("x-pid", String(process.pid));
  setTimeout(() => s.end(process.env.PUP_PROCESS_ID), 2);
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.env.PUP_CLUSTER_PORT), "127.0.0.1");
process.on("SIGTERM", () => {
  stopping = true;
  require("node:net").Server.prototype.close.call(server, () => process.exit(0));
});
`;

/** The configuration of a cluster of `n` GRACEFUL_SERVER instances on ports from `base`. */
function gracefulConfig(n: number, base: number, env: Record<string, string> = {}) {
  const script = path.join(dir, "graceful.cjs");
  writeFileSync(script, GRACEFUL_SERVER);
  return {
    processes: [
      {
        id: "web",
        cmd: `node ${script}`,
        autostart: true,
        env,
        // Keep-alive connections end only once the instance stops.
        terminateTimeout: 1,
        cluster: { instances: n, startPort: base + 1, commonPort: base },
      },
    ],
  };
}

/** A cluster of `n` GRACEFUL_SERVER instances behind a balancer, every instance answering. */
async function gracefulCluster(n: number, name: string) {
  const base = await freePorts(n + 1);
  const configPath = path.join(dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify(gracefulConfig(n, base)));
  const config = validateConfig(gracefulConfig(n, base), "test");
  const instance = new Instance({ config, configPath, services: defaultServices() });
  instance.logger.on("log", () => {});
  instances.push(instance);
  await instance.start();
  const ids = Array.from({ length: n }, (_, i) => `web-${i + 1}`);
  for (let i = 0; i < n; i++)
    await waitFor(() => get(base + 1 + i).catch(() => false), `${ids[i]} to answer`);
  return { instance, base, ids };
}

test("a rolling restart under steady load (keep-alive and not): no client sees a failed request; stats in /state and /metrics", async () => {
  const { instance, base, ids } = await gracefulCluster(3, "rolling");
  const load = steadyLoad(base, 6);
  after(() => load.stop());
  await waitFor(() => ids.every((id) => (load.answers.get(id) ?? 0) > 5), "every instance to serve");
  const pids = ids.map((id) => instance.supervisor.get(id).status.pid);
  // The core's rolling restart drains each instance from this balancer (SPEC §8.5).
  const results = await instance.supervisor.restartProcess("web");
  assert.deepEqual(results, [{ started: true }, { started: true }, { started: true }]);
  await assertServedThroughout(load, ids);
  assert.ok(
    ids.every((id, n) => instance.supervisor.get(id).status.pid !== pids[n]),
    "every instance was restarted",
  );
  // After the roll, every request is served by a new instance.
  const newPids = new Set(ids.map((id) => String(instance.supervisor.get(id).status.pid)));
  for (let i = 0; i < 9; i++) {
    const pid = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port: base, path: "/", agent: false }, (res) => {
          res.resume();
          resolve(String(res.headers["x-pid"]));
        })
        .on("error", reject);
    });
    assert.ok(newPids.has(pid), `served by ${pid}, not one of the new instances ${[...newPids]}`);
  }

  // Watchable: GET /state and /metrics carry each instance's connections.
  await waitFor(
    () =>
      balancersOf(instance)!
        .stats()[0]
        .backends.every((b) => b.open === 0),
    "idle",
  );
  const port = Number(readFileSync(instance.paths.portFile, "utf8"));
  const token = signToken(readFileSync(instance.paths.secretFile, "utf8"), { consumer: "t", expiresIn: 60 });
  const call = (route: string) =>
    fetch(`http://127.0.0.1:${port}${route}`, { headers: { authorization: `Bearer ${token}` } });
  const state = ((await (await call("/state")).json()) as { data: ApplicationState }).data;
  const [web] = state.balancers!;
  assert.deepEqual([web.process, web.port, web.strategy, web.dropped], ["web", base, "round-robin", 0]);
  assert.deepEqual(
    web.backends.map((b) => [b.name, b.inRotation, b.open, b.failed]),
    ids.map((id) => [id, true, 0, 0]),
  );
  const total = web.backends.reduce((n, b) => n + b.total, 0);
  assert.ok(total > 0, "connections counted");
  const metrics = await (await call("/metrics")).text();
  for (const id of ids) {
    assert.match(metrics, new RegExp(`pup_balancer_connections_open\\{process="web",instance="${id}"\\} 0`));
    assert.match(
      metrics,
      new RegExp(`pup_balancer_connections_total\\{process="web",instance="${id}"\\} [1-9]`),
    );
    assert.match(
      metrics,
      new RegExp(`pup_balancer_connections_failed_total\\{process="web",instance="${id}"\\} 0`),
    );
    assert.match(metrics, new RegExp(`pup_balancer_backend_up\\{process="web",instance="${id}"\\} 1`));
    assert.match(
      metrics,
      new RegExp(`pup_balancer_backend_in_rotation\\{process="web",instance="${id}"\\} 1`),
    );
  }
  assert.match(metrics, /pup_balancer_clients_dropped_total\{process="web"\} 0/);
});

test("a rolling restart of a one-instance cluster: new clients wait for it instead of being refused", async () => {
  const { instance, base } = await gracefulCluster(1, "single");
  const load = steadyLoad(base, 4);
  after(() => load.stop());
  await waitFor(() => load.count() > 20, "the load to run");
  const pid = instance.supervisor.get("web-1").status.pid;
  await instance.supervisor.restartProcess("web");
  const servedAfter = load.count();
  await waitFor(() => load.count() > servedAfter + 20, "the instance to serve again");
  await load.stop();
  assert.notEqual(instance.supervisor.get("web-1").status.pid, pid, "restarted");
  assert.deepEqual(load.failures, [], "no client saw a failed request");
  const [web] = balancersOf(instance)!.stats();
  assert.deepEqual([web.held, web.dropped, web.backends[0].inRotation], [0, 0, true]);
});

test("with health checks: only healthy instances get clients, and the log says when an instance starts or stops getting them", async () => {
  const script = path.join(dir, "health.cjs");
  writeFileSync(
    script,
    `const id = process.env.PUP_PROCESS_ID;
require("node:http").createServer((q, s) => {
  if (q.url === "/health") s.statusCode = id === "web-2" ? 500 : 200;
  s.end(id);
}).listen(Number(process.env.PUP_CLUSTER_PORT), "127.0.0.1");`,
  );
  const base = await freePorts(4);
  const config = validateConfig(
    {
      processes: [
        {
          id: "web",
          cmd: `node ${script}`,
          autostart: true,
          healthcheck: {
            http: "http://127.0.0.1:{port}/health",
            intervalMs: 100,
            retries: 1,
            restart: false,
          },
          cluster: { instances: 3, startPort: base + 1, commonPort: base },
        },
      ],
    },
    "test",
  );
  const instance = new Instance({
    config,
    configPath: path.join(dir, "health.json"),
    services: defaultServices(),
  });
  const lines: string[] = [];
  instance.logger.on("log", (e) => lines.push(e.text));
  instances.push(instance);
  await instance.start();
  const health = (id: string) => instance.supervisor.get(id).status.health;
  await waitFor(
    () => health("web-1") === "healthy" && health("web-3") === "healthy" && health("web-2") === "unhealthy",
    "web-1 and web-3 healthy, web-2 unhealthy",
  );
  const answers = new Set<string>();
  for (let i = 0; i < 8; i++) answers.add(await get(base));
  assert.deepEqual([...answers].sort(), ["web-1", "web-3"]);
  const web2 = balancersOf(instance)!.stats()[0].backends[1];
  assert.deepEqual([web2.running, web2.healthy, web2.inRotation], [true, false, false]);
  const aboutWeb1 = () => lines.filter((l) => l.startsWith(`web-1 (port ${base + 1}) `) && /healthy/.test(l));
  assert.deepEqual(aboutWeb1(), [`web-1 (port ${base + 1}) healthy: gets new connections`]);
  assert.ok(!lines.some((l) => /not healthy/.test(l)), "a start is not reported as a loss of health");
  await instance.supervisor.stopProcess("web-1");
  assert.equal(aboutWeb1().length, 1, "nor is a stop");
});

test("a reload that changes a cluster behind its balancer replaces it one instance at a time, under load", async () => {
  const { instance, base, ids } = await gracefulCluster(3, "reloaded");
  const load = steadyLoad(base, 6);
  after(() => load.stop());
  await waitFor(() => ids.every((id) => (load.answers.get(id) ?? 0) > 5), "every instance to serve");
  const pids = ids.map((id) => instance.supervisor.get(id).status.pid);
  const order: string[] = [];
  instance.supervisor.events.on("process_status_changed", ({ old, new: now, status }) => {
    if (old !== now && (now === ProcessState.STOPPING || now === ProcessState.RUNNING))
      order.push(`${status.id} ${now}`);
  });
  writeFileSync(instance.paths.configPath, JSON.stringify(gracefulConfig(3, base, { RELEASE: "2" })));
  const result = await instance.reload();
  assert.deepEqual(
    order,
    ["web-1 250", "web-1 200", "web-2 250", "web-2 200", "web-3 250", "web-3 200"],
    "one instance at a time, each back before the next stops",
  );
  assert.deepEqual(result.changed, ["web"]);
  await assertServedThroughout(load, ids);
  for (const [n, id] of ids.entries()) {
    const { status, config } = instance.supervisor.get(id);
    assert.notEqual(status.pid, pids[n], `${id} was replaced`);
    assert.equal(status.status, ProcessState.RUNNING);
    assert.deepEqual(config.env, { RELEASE: "2" });
  }
  const starts = instance.supervisor.list().length;
  assert.equal(starts, 4, "the cluster and its three instances, no leftovers");
});
