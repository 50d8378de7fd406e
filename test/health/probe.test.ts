import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { commandProbe, httpProbe, tcpProbe } from "../../src/health/probe.ts";

/** Probes against servers that misbehave: each fails with a reason, within its timeout, and leaves nothing open. */

const servers: net.Server[] = [];
/** A TCP server on a free loopback port that treats each connection as `onConnection` says. */
async function server(onConnection: (socket: net.Socket) => void): Promise<number> {
  const s = net.createServer((socket) => {
    socket.on("error", () => {});
    onConnection(socket);
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return (s.address() as net.AddressInfo).port;
}
let closedPort: number;
before(async () => {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  closedPort = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
});
after(() => {
  for (const s of servers) s.close();
});

describe("health probes against misbehaving servers", () => {
  test("http: a server that accepts and never answers times out", async () => {
    const port = await server(() => {});
    const began = performance.now();
    const result = await httpProbe(`http://127.0.0.1:${port}/health`)(200);
    assert.deepEqual(result, {
      ok: false,
      error: `http://127.0.0.1:${port}/health: no answer within 200 ms`,
    });
    assert.ok(performance.now() - began < 2000);
  });

  test("http: garbage instead of HTTP, an answer cut short, a 503, and a 204", async () => {
    const garbage = await server((s) => s.end("SSH-2.0-OpenSSH\r\n"));
    const cut = await server((s) => s.end());
    const busy = await server((s) => s.end("HTTP/1.1 503 Service Unavailable\r\n\r\n"));
    const fine = await server((s) => s.end("HTTP/1.1 204 No Content\r\n\r\n"));
    const probe = (port: number) => httpProbe(`http://127.0.0.1:${port}/`)(1000);
    assert.deepEqual(await probe(garbage), {
      ok: false,
      error: `http://127.0.0.1:${garbage}/: not an HTTP answer`,
    });
    assert.deepEqual(await probe(cut), {
      ok: false,
      error: `http://127.0.0.1:${cut}/: closed without an answer`,
    });
    assert.deepEqual(await probe(busy), { ok: false, error: `HTTP 503 from http://127.0.0.1:${busy}/` });
    assert.deepEqual(await probe(fine), { ok: true });
  });

  test("http and tcp: a closed port is refused at once", async () => {
    assert.deepEqual(await httpProbe(`http://127.0.0.1:${closedPort}/`)(1000), {
      ok: false,
      error: `http://127.0.0.1:${closedPort}/: ECONNREFUSED`,
    });
    assert.deepEqual(await tcpProbe("127.0.0.1", closedPort)(1000), {
      ok: false,
      error: `tcp 127.0.0.1:${closedPort}: ECONNREFUSED`,
    });
  });

  test("cmd: a command that cannot run, and one that fails, say why", async () => {
    assert.deepEqual(await commandProbe("exit 3", "/", process.env)(1000), {
      ok: false,
      error: "probe command exited with code 3",
    });
    const missing = await commandProbe("true", "/no/such/folder", process.env)(1000);
    assert.equal(missing.ok, false);
    assert.match((missing as { error: string }).error, /cannot run the probe: ENOENT/);
  });
});
