import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { LoadBalancer } from "../../src/balancer/load-balancer.ts";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Send `payload`, half-close, and collect everything the other side sends until it closes. */
function exchange(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks)));
    socket.on("connect", () => socket.end(payload));
  });
}

describe("LoadBalancer forwards bytes both ways, whole and in order", () => {
  const servers: net.Server[] = [];
  let balancer: LoadBalancer;
  let download: Buffer;

  before(async () => {
    download = randomBytes(16 * 1024 * 1024);
    // Echoes everything (answers while the upload is still coming), then a large download,
    // written as fast as the socket takes it.
    const backend = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.pipe(socket, { end: false });
      socket.on("end", () => socket.end(download));
    });
    servers.push(backend);
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    const backendPort = (backend.address() as net.AddressInfo).port;
    balancer = new LoadBalancer({
      port: 0,
      hostname: "127.0.0.1",
      strategy: "round-robin",
      backends: [{ host: "127.0.0.1", port: backendPort }],
      log: () => {},
    });
    balancer.setRunning(0, true);
    await balancer.listen();
  });

  after(async () => {
    await balancer.close();
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
  });

  test("8 MiB up and 8 MiB echoed plus 16 MiB down arrive intact, with backpressure on both sides", async () => {
    const upload = randomBytes(8 * 1024 * 1024);
    const received = await exchange(balancer.address!.port, upload);
    assert.equal(received.length, upload.length + download.length);
    assert.equal(sha(received.subarray(0, upload.length)), sha(upload));
    assert.equal(sha(received.subarray(upload.length)), sha(download));
  });

  test("many short exchanges, one after another, on fresh connections", async () => {
    for (let i = 0; i < 20; i++) {
      const upload = randomBytes(100 + i);
      const received = await exchange(balancer.address!.port, upload);
      assert.equal(sha(received.subarray(0, upload.length)), sha(upload));
      assert.equal(received.length, upload.length + download.length);
    }
    assert.equal(balancer.backends[0].connections, 0);
  });
});

/** A balancer in front of `backend` alone, both closed when the test ends. */
async function balancerFor(backend: net.Server): Promise<LoadBalancer> {
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const balancer = new LoadBalancer({
    port: 0,
    hostname: "127.0.0.1",
    strategy: "round-robin",
    backends: [{ host: "127.0.0.1", port: (backend.address() as net.AddressInfo).port }],
    log: () => {},
  });
  balancer.setRunning(0, true);
  await balancer.listen();
  after(async () => {
    await balancer.close();
    await new Promise((resolve) => backend.close(resolve));
  });
  return balancer;
}

async function waitForClosed(balancer: LoadBalancer): Promise<void> {
  for (let i = 0; i < 100 && balancer.backends[0].connections > 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(balancer.backends[0].connections, 0, "no connection left open");
}

describe("LoadBalancer passes an abrupt end on as one", () => {
  test("a backend that resets after answering part: the client sees a reset, not a complete answer", async () => {
    const balancer = await balancerFor(
      net.createServer((socket) => {
        socket.write("partial");
        setTimeout(() => socket.resetAndDestroy(), 100);
      }),
    );
    const outcome = await new Promise<{ data: string; end: string }>((resolve) => {
      const socket = net.connect(balancer.address!.port, "127.0.0.1");
      let data = "";
      socket.on("connect", () => socket.write("GET / HTTP/1.0\r\n\r\n"));
      socket.on("data", (d) => (data += d));
      socket.on("error", (err: NodeJS.ErrnoException) => resolve({ data, end: err.code ?? err.message }));
      socket.on("end", () => resolve({ data, end: "end" }));
    });
    assert.deepEqual(outcome, { data: "partial", end: "ECONNRESET" });
    await waitForClosed(balancer);
  });

  test("a client that resets mid-exchange: the backend sees a reset, not the end of the request", async () => {
    let backendSaw: (end: string) => void = () => {};
    const seen = new Promise<string>((resolve) => (backendSaw = resolve));
    const balancer = await balancerFor(
      net.createServer((socket) => {
        socket.on("data", () => socket.write("ack"));
        socket.on("error", (err: NodeJS.ErrnoException) => backendSaw(err.code ?? err.message));
        socket.on("end", () => backendSaw("end"));
      }),
    );
    const client = net.connect(balancer.address!.port, "127.0.0.1");
    client.on("error", () => {});
    client.on("connect", () => client.write("upload, part 1"));
    client.once("data", () => client.resetAndDestroy());
    assert.equal(await seen, "ECONNRESET");
    await waitForClosed(balancer);
  });
});
