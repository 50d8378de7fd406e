import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, test } from "node:test";
import { LoadBalancer, type LoadBalancerOptions } from "../../src/balancer/load-balancer.ts";
import { get, steadyLoad } from "../helpers/http-load.ts";
import { freePorts } from "../helpers/ports.ts";
import { sleep, waitFor } from "../helpers/wait.ts";

const closers: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

/**
 * An HTTP backend answering its name (after `delayMs`), that can stop the way a well-behaved
 * server does on SIGTERM (no new connections; every answer says `Connection: close`; done when
 * the last connection has closed) and listen again on the same port, as a restarted instance.
 */
class TestBackend {
  readonly server: http.Server;
  port = 0;
  /** Connections accepted, and requests answered, since the start. */
  accepted = 0;
  answered = 0;
  private stopping = false;
  /** Requests to /slow wait here until `releaseSlow()`. */
  private slow: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly delayMs = 2,
  ) {
    this.server = http.createServer((request, response) => {
      if (this.stopping) response.setHeader("connection", "close");
      const answer = () => {
        this.answered++;
        response.end(this.name);
      };
      if (request.url === "/slow") this.slow.push(answer);
      else setTimeout(answer, this.delayMs);
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.on("connection", () => this.accepted++);
    closers.push(() => this.stop());
  }

  /** A port below the ephemeral range, so that no probe of it while it is closed connects to itself. */
  async listen(port?: number): Promise<this> {
    this.stopping = false;
    const where = port ?? (await freePorts(1));
    await new Promise<void>((resolve) => this.server.listen(where, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  releaseSlow(): void {
    for (const answer of this.slow.splice(0)) answer();
  }

  /** Stop accepting, close each connection after its next answer; resolves once all are closed. */
  stop(): Promise<void> {
    this.stopping = true;
    this.releaseSlow();
    if (!this.server.listening) return Promise.resolve();
    // net.Server's close: http.Server's would also cut idle keep-alive connections at once,
    // racing a client that is about to send on them.
    return new Promise((resolve) => net.Server.prototype.close.call(this.server, () => resolve()));
  }
}

async function startBalancer(
  backends: TestBackend[],
  options: Partial<LoadBalancerOptions> = {},
): Promise<{ balancer: LoadBalancer; port: number; errors: string[] }> {
  const errors: string[] = [];
  const balancer = new LoadBalancer({
    port: 0,
    hostname: "127.0.0.1",
    strategy: "round-robin",
    backends: backends.map((b) => ({ host: "127.0.0.1", port: b.port, name: b.name })),
    log: (severity, text) => {
      if (severity === "error") errors.push(text);
    },
    ...options,
  });
  for (let i = 0; i < backends.length; i++) balancer.setRunning(i, true);
  await balancer.listen();
  closers.push(() => balancer.close());
  return { balancer, port: balancer.address!.port, errors };
}

test("draining an instance under steady load: no new connection reaches it, its own finish, then it comes back; no client fails", async () => {
  const backends = [await new TestBackend("a").listen(), await new TestBackend("b").listen()];
  const [a] = backends;
  const { balancer, port, errors } = await startBalancer(backends);
  const load = steadyLoad(port, 6);
  closers.push(() => load.stop());
  await waitFor(
    () => (load.answers.get("a") ?? 0) > 20 && (load.answers.get("b") ?? 0) > 20,
    "both to serve",
  );

  const drained = balancer.drain(0);
  assert.equal(balancer.stats().backends[0].inRotation, false);
  // Connections chosen before the drain may still be on their way to it.
  await sleep(100);
  const acceptedAtDrain = a.accepted;
  await sleep(300);
  assert.equal(a.accepted, acceptedAtDrain, "no new connection to a drained instance");
  assert.ok(balancer.stats().backends[0].open > 0, "its keep-alive connections go on");

  // The instance stops as on SIGTERM: its connections close after their current answer.
  await a.stop();
  assert.equal(await drained, 0, "every connection to it has ended");
  assert.equal(balancer.stats().backends[0].open, 0);
  const answeredBeforeRestart = a.answered;
  await sleep(200);

  // Restarted on the same port, then back in rotation (the core restores it once it serves).
  await a.listen(a.port);
  balancer.restore(0);
  await waitFor(() => a.answered > answeredBeforeRestart + 20, "the restored instance to serve again");
  await load.stop();

  assert.deepEqual(load.failures, [], "no request failed");
  assert.ok(load.count() > 100, `a steady load (${load.count()} requests)`);
  const stats = balancer.stats();
  assert.deepEqual(
    stats.backends.map((b) => [b.failed, b.drained, b.inRotation]),
    [
      [0, false, true],
      [0, false, true],
    ],
  );
  assert.equal(stats.dropped, 0);
  assert.deepEqual(errors, []);
});

test("a drain that outlasts its deadline resolves with the connections left, and cuts none of them", async () => {
  const backend = await new TestBackend("a").listen();
  const { balancer, port } = await startBalancer([backend]);
  const slow = get(port, { path: "/slow" });
  await waitFor(() => balancer.stats().backends[0].open === 1, "the slow request to be open");
  assert.equal(await balancer.drain(0, 100), 1);
  backend.releaseSlow();
  assert.equal(await slow, "a", "the connection in flight was answered");

  // A deadline beyond setTimeout's range (2^31 ms: a long grace period) is waited, not fired at once.
  await waitFor(() => balancer.stats().backends[0].open === 0, "the first slow request to close");
  balancer.restore(0);
  const slowAgain = get(port, { path: "/slow" });
  await waitFor(() => balancer.stats().backends[0].open === 1, "the next slow request to be open");
  let resolved = false;
  const longDrain = balancer.drain(0, 3e9).then(() => (resolved = true));
  await sleep(100);
  assert.equal(resolved, false, "still waiting for the open connection");
  backend.releaseSlow();
  await slowAgain;
  assert.equal(await longDrain, true, "resolved once the connection closed");
});

test("an unhealthy instance gets no new connection while its open ones finish; with none healthy, unhealthy ones serve", async () => {
  const backends = [await new TestBackend("a").listen(), await new TestBackend("b").listen()];
  const { balancer, port } = await startBalancer(backends);
  const slow = get(port, { path: "/slow" }); // round-robin: the first connection goes to "a"
  await waitFor(() => balancer.stats().backends[0].open === 1, "the slow request to reach a");

  balancer.setHealthy(0, false);
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) answers.push(await get(port));
  assert.deepEqual(answers, Array(6).fill("b"));
  await waitFor(() => balancer.stats().backends[1].open === 0, "the connections to b to close");
  assert.deepEqual(
    balancer.stats().backends.map((b) => [b.healthy, b.inRotation, b.open]),
    [
      [false, false, 1],
      [true, true, 0],
    ],
  );

  backends[0].releaseSlow();
  assert.equal(await slow, "a", "the unhealthy instance's open connection finished");
  await waitFor(() => balancer.stats().backends[0].open === 0, "the connection to a to close");

  balancer.setHealthy(1, false);
  const fallback = new Set<string>();
  for (let i = 0; i < 6; i++) fallback.add(await get(port));
  assert.deepEqual([...fallback].sort(), ["a", "b"], "none healthy: the running ones still serve");
  balancer.setHealthy(0, true);
  for (let i = 0; i < 4; i++) assert.equal(await get(port), "a");
});

test("with every instance drained, a client waits for one to return instead of being refused", async () => {
  const backend = await new TestBackend("a").listen();
  const { balancer, port } = await startBalancer([backend]);
  assert.equal(await balancer.drain(0), 0, "nothing open: drained at once");
  const waiting = get(port);
  await waitFor(() => balancer.stats().held === 1, "the client to be held");
  assert.equal(backend.accepted, 0);
  balancer.restore(0);
  assert.equal(await waiting, "a");
  assert.equal(balancer.stats().held, 0);
  assert.equal(balancer.stats().dropped, 0);
});

test("a held client is closed once no instance came back within holdTimeoutMs, and counted as dropped", async () => {
  const backend = await new TestBackend("a").listen();
  const { balancer, port } = await startBalancer([backend], { holdTimeoutMs: 150 });
  await balancer.drain(0);
  await assert.rejects(get(port), /socket hang up|ECONNRESET/);
  await waitFor(() => balancer.stats().dropped === 1, "the client to be counted as dropped");
  assert.equal(balancer.stats().held, 0);
});

test("stats count connections (not requests) per instance, failed attempts, and dropped clients", async () => {
  // Below the ephemeral range: a connection from the same port would connect to itself.
  const deadPort = await freePorts(1);
  const a = await new TestBackend("a").listen();
  const c = await new TestBackend("c").listen();
  const dead = Object.assign(new TestBackend("dead"), { port: deadPort });
  const { balancer, port } = await startBalancer([a, dead, c]);

  for (let i = 0; i < 6; i++) await get(port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 5; i++) await get(port, { agent });
  agent.destroy();
  await waitFor(() => balancer.stats().backends.every((b) => b.open === 0), "every connection to close");

  const [sa, sdead, sc] = balancer.stats().backends;
  assert.equal(sa.total + sc.total, 7, "6 connections, then 1 for 5 keep-alive requests");
  assert.equal(a.accepted + c.accepted, 7);
  assert.ok(sa.total >= 2 && sc.total >= 2, "both live instances served");
  assert.deepEqual([sdead.total, sdead.failed, sdead.up], [0, 1, false], "refused once, then tried last");
  assert.deepEqual([sa.failed, sc.failed], [0, 0]);
  assert.equal(balancer.stats().dropped, 0);

  await Promise.all([a.stop(), c.stop()]);
  await assert.rejects(get(port), /socket hang up|ECONNRESET/);
  await waitFor(() => balancer.stats().dropped === 1, "the client no instance could take to be counted");
});

test("a backend that closes its side first still hears the rest of the client (half-open both ways)", async () => {
  let received = "";
  const greeter = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.end("hello");
    socket.on("data", (d) => (received += d));
  });
  await new Promise<void>((resolve) => greeter.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => greeter.close(resolve)));
  const backend = Object.assign(new TestBackend("greeter"), {
    port: (greeter.address() as net.AddressInfo).port,
  });
  const { balancer, port } = await startBalancer([backend]);
  const heard = await new Promise<string>((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    let text = "";
    socket.on("data", (d) => (text += d));
    socket.on("end", () => socket.end("goodbye"));
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
  assert.equal(heard, "hello");
  await waitFor(() => received === "goodbye", "the backend to receive the client's last words");
  assert.equal(balancer.stats().backends[0].failed, 0);
});

test("a client that connects and leaves without a byte (a port check) does not mark the instance down", async () => {
  const backend = await new TestBackend("a").listen();
  const { balancer, port } = await startBalancer([backend]);
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => socket.end());
      socket.on("close", () => resolve());
    });
  }
  await waitFor(() => balancer.stats().backends[0].open === 0, "the checks to close");
  const [stats] = balancer.stats().backends;
  assert.deepEqual([stats.up, stats.failed, stats.total], [true, 0, 3]);
});

test("a backend that refused is marked down, skipped, and marked up again once its port accepts", async () => {
  const backends = [await new TestBackend("a").listen(), await new TestBackend("b").listen()];
  const { balancer, port } = await startBalancer(backends, { probeIntervalMs: 50 });
  await backends[0].stop();
  const answers: string[] = [];
  for (let i = 0; i < 4; i++) answers.push(await get(port));
  assert.deepEqual(answers, ["b", "b", "b", "b"], "the refusing backend is skipped, no client fails");
  assert.equal(balancer.stats().backends[0].up, false);
  await backends[0].listen(backends[0].port);
  await waitFor(() => balancer.stats().backends[0].up, "the probe to mark it up");
  const again = new Set<string>();
  for (let i = 0; i < 4; i++) again.add(await get(port));
  assert.deepEqual([...again].sort(), ["a", "b"]);
});

test("a client that sent everything and half-closed is replayed whole, FIN included, when the first backend drops it", async () => {
  const dropper = net.createServer((socket) => socket.destroy());
  const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on("data", (d) => chunks.push(d));
    socket.on("end", () => socket.end(Buffer.concat(chunks)));
  });
  const ports: number[] = [];
  for (const server of [dropper, echo]) {
    const port = await freePorts(1);
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    ports.push(port);
  }
  const backends = ports.map((port, i) => Object.assign(new TestBackend(`b${i}`), { port }));
  const { balancer, port } = await startBalancer(backends);
  const payload = Buffer.alloc(48 * 1024, "x");
  const echoed = await new Promise<Buffer>((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => socket.end(payload));
    const chunks: Buffer[] = [];
    socket.on("data", (d) => chunks.push(d));
    socket.on("close", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
  });
  assert.equal(echoed.length, payload.length);
  assert.deepEqual(
    balancer.stats().backends.map((b) => [b.failed, b.up]),
    [
      [1, false],
      [0, true],
    ],
  );
  assert.equal(balancer.stats().dropped, 0);
});

test("closing the balancer ends every client it holds or relays", async () => {
  const backend = await new TestBackend("a").listen();
  const { balancer, port } = await startBalancer([backend]);
  const relayed = get(port, { path: "/slow" });
  await waitFor(() => balancer.stats().backends[0].open === 1, "the slow request to be relayed");
  const ends = [
    relayed.then(
      () => "answered",
      () => "closed",
    ),
  ];
  await balancer.drain(0, 0);
  ends.push(
    get(port).then(
      () => "answered",
      () => "closed",
    ),
  );
  await waitFor(() => balancer.stats().held === 1, "a client to be held");
  await balancer.close();
  assert.deepEqual(await Promise.all(ends), ["closed", "closed"]);
});
