import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  ApiError,
  ApiUnreachableError,
  fetchTransport,
  type HttpTransport,
  PupClient,
} from "../../src/client/client.ts";
import { nodeHttpTransport } from "../../src/client/node-http.ts";

/** A stand-in for the API: answers as pup does, plus a few ways to misbehave. */
let server: http.Server;
let base: string;
const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
let resets = 0;

before(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.url === "/state") return json(200, { data: { pid: 1, text: "ünïcödé" } });
      if (req.url === "/log") return json(201, { data: JSON.parse(body) });
      if (req.url === "/processes/nope/start") return json(404, { error: 'unknown process "nope"' });
      if (req.url === "/broken") return res.writeHead(502).end("<html>bad gateway</html>");
      if (req.url === "/metrics") return res.writeHead(200, { "content-type": "text/plain" }).end("a 1\n");
      if (req.url === "/chunked") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"data":');
        setTimeout(() => res.end("[1,2,3]}"), 20);
        return;
      }
      // Headers and half a body, then the connection breaks; the second time it works.
      if (req.url === "/reset-once") {
        if (resets++ === 0) {
          res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
          res.write('{"data":');
          setTimeout(() => res.destroy(), 20);
          return;
        }
        return json(200, { data: "second try" });
      }
      if (req.url === "/slow") return setTimeout(() => json(200, { data: "late" }), 2000);
      json(404, { error: "not found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

for (const [name, transport] of [
  ["node:http", nodeHttpTransport],
  ["fetch", fetchTransport],
] as Array<[string, HttpTransport]>) {
  describe(`PupClient over ${name}`, () => {
    const client = () => new PupClient({ baseUrl: `${base}/`, token: "t0k", transport, retryDelayMs: 10 });

    test("GET unwraps {data}, sends the token, decodes UTF-8", async () => {
      assert.deepEqual(await client().state(), { pid: 1, text: "ünïcödé" });
      const request = seen.at(-1)!;
      assert.equal(request.method, "GET");
      assert.equal(request.headers.authorization, "Bearer t0k");
    });

    test("POST sends JSON with its length; a 201 is a success", async () => {
      const entry = await client().log("info", "plug", "héllo");
      assert.deepEqual(entry, { severity: "info", plugin: "plug", message: "héllo" });
      const request = seen.at(-1)!;
      assert.equal(request.headers["content-type"], "application/json");
      assert.equal(Number(request.headers["content-length"]), Buffer.byteLength(request.body));
    });

    test("an answer sent in pieces (chunked) is read whole; text answers too", async () => {
      assert.deepEqual(await client().request("GET", "/chunked"), [1, 2, 3]);
      assert.equal(await client().metrics(), "a 1\n");
    });

    test("a failure is an ApiError with the server's {error}, or the status when there is none", async () => {
      await assert.rejects(client().start("nope"), (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.status, 404);
        assert.equal(err.message, 'unknown process "nope"');
        return true;
      });
      await assert.rejects(client().request("GET", "/broken"), {
        name: "ApiError",
        message: "GET /broken: HTTP 502",
      });
    });

    test("nothing listening: one retry, then ApiUnreachableError naming the code", async () => {
      const port = await closedPort();
      const c = new PupClient({
        baseUrl: `http://127.0.0.1:${port}`,
        token: "t",
        transport,
        retryDelayMs: 10,
      });
      await assert.rejects(c.state(), (err: unknown) => {
        assert.ok(err instanceof ApiUnreachableError);
        assert.equal(err.message, `GET http://127.0.0.1:${port}/state: ECONNREFUSED`);
        return true;
      });
    });

    test("no answer in time: ApiUnreachableError saying so, within about the timeout", async () => {
      const t0 = Date.now();
      await assert.rejects(client().request("GET", "/slow", undefined, { timeoutMs: 200 }), {
        name: "ApiUnreachableError",
        message: `GET ${base}/slow: no answer within 200 ms`,
      });
      assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    });

    test("a read whose connection breaks mid-answer is retried once", async () => {
      resets = 0;
      assert.equal(await client().request("GET", "/reset-once"), "second try");
      assert.equal(resets, 2);
    });
  });
}

test("node:http transport leaves no connection open once the answer is read", async () => {
  // Its own server: fetch above keeps its connections to the shared one alive.
  const own = http.createServer((_req, res) => res.end('{"data":1}'));
  await new Promise<void>((resolve) => own.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = own.address() as AddressInfo;
    const c = new PupClient({
      baseUrl: `http://127.0.0.1:${port}`,
      token: "t",
      transport: nodeHttpTransport,
    });
    assert.equal(await c.request("GET", "/state"), 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const open = await new Promise<number>((resolve, reject) =>
      own.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );
    assert.equal(open, 0);
  } finally {
    own.closeAllConnections();
    await new Promise((resolve) => own.close(resolve));
  }
});
