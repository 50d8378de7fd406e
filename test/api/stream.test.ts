import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { ProcessState } from "../../src/core/states.ts";
import { waitFor } from "../helpers/wait.ts";
import { ApiInstance, type Json } from "./api-instance.ts";

interface Message {
  t: string;
  d: Json;
}

/** A subscriber of the event stream that records every message. */
class Subscriber {
  readonly messages: Message[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on("message", (data) => this.messages.push(JSON.parse(String(data))));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once("error", reject);
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => this.ws.once("close", (code) => resolve(code)));
  }

  next(t: string, match: (d: Json) => boolean = () => true, timeoutMs = 5000): Promise<Message> {
    return waitFor(
      () => this.messages.find((m) => m.t === t && match(m.d)),
      `a "${t}" message (got ${[...new Set(this.messages.map((m) => m.t))].join(", ")})`,
      timeoutMs,
    );
  }

  close() {
    this.ws.terminate();
  }
}

/** The HTTP status a refused upgrade answers with, once the server has also closed the connection. */
function refusal(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("unexpected-response", (_req, res) => {
      res.resume();
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`the server kept the refused connection (${res.statusCode}) open`));
      }, 3000);
      res.socket.once("close", () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      });
    });
    ws.once("open", () => {
      ws.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    ws.once("error", () => {});
  });
}

describe("event stream GET /wss (SPEC §5.3)", () => {
  let api: ApiInstance;
  const subscribers: Subscriber[] = [];
  const subscribe = (route: string, headers?: Record<string, string>) => {
    const s = new Subscriber(`ws://127.0.0.1:${api.port}${route}`, headers);
    subscribers.push(s);
    return s;
  };
  const subscriberGauge = async () =>
    Number(/pup_api_stream_subscribers (\d+)/.exec((await api.call("GET", "/metrics")).text)![1]);

  before(async () => {
    api = await ApiInstance.start({
      api: { revoked: ["mallory"] },
      processes: [{ id: "echo", cmd: "sh -c 'echo streamed line; sleep 1000'" }],
    });
  });
  after(async () => {
    for (const s of subscribers) s.close();
    await api.close();
  });

  test("token in the Authorization header: init with the state, then events as they happen", async () => {
    const s = subscribe("/wss", { authorization: `Bearer ${await api.token({ scopes: ["read"] })}` });
    await s.opened;
    const init = await s.next("init");
    assert.equal(init.d.type, "main");
    assert.equal(init.d.processes[0].id, "echo");

    await api.call("POST", "/processes/echo/start");
    const change = await s.next(
      "process_status_changed",
      (d) => d.new === ProcessState.RUNNING && d.status.id === "echo",
    );
    assert.equal(change.d.old, ProcessState.STARTING);
    const log = await s.next("log", (d) => d.text === "streamed line");
    assert.equal(log.d.processId, "echo");
    assert.equal(log.d.category, "stdout");
    assert.equal(typeof log.d.timeStamp, "number");
    const state = await s.next("application_state", () => true, 3000);
    assert.equal(state.d.status, "RUNNING");
    assert.equal(state.d.processes.length, 1);

    const memory = { rss: 1, heapTotal: 2, heapUsed: 3, external: 4 };
    const telemetry = { sender: "echo", memory, sent: new Date().toISOString(), cwd: "/" };
    await api.call("POST", "/telemetry", { body: telemetry });
    assert.deepEqual((await s.next("process_telemetry")).d, telemetry);
  });

  test("token as ?access_token=, on / and under /api", async () => {
    const token = await api.token({ scopes: ["read"] });
    for (const route of [`/wss?access_token=${token}`, `/api/wss?access_token=${token}`]) {
      const s = subscribe(route);
      await s.opened;
      await s.next("init");
    }
  });

  test("refused without a valid token (401), without the read scope (403), revoked (401)", async () => {
    const url = `ws://127.0.0.1:${api.port}`;
    assert.equal(await refusal(`${url}/wss`), 401);
    assert.equal(await refusal(`${url}/wss?access_token=nonsense`), 401);
    assert.equal(await refusal(`${url}/wss`, { authorization: "Bearer nonsense" }), 401);
    assert.equal(await refusal(`${url}/wss?access_token=${await api.token({ scopes: ["control"] })}`), 403);
    assert.equal(
      await refusal(`${url}/api/wss?access_token=${await api.token({ consumer: "mallory" })}`),
      401,
    );
    // The query token is for the stream only.
    const r = await api.call("GET", `/processes?access_token=${await api.token()}`, { token: null });
    assert.equal(r.status, 401);
  });

  test("a plain GET /wss (no upgrade) is told to upgrade", async () => {
    const r = await api.call("GET", "/wss");
    assert.equal(r.status, 426);
    assert.match(r.body.error, /WebSocket/);
  });

  test("POST /ipc reaches every subscriber as `ipc`, with the token's consumer as sender", async () => {
    const a = subscribe("/wss", { authorization: `Bearer ${await api.token()}` });
    const b = subscribe(`/wss?access_token=${await api.token()}`);
    await Promise.all([a.opened, b.opened]);
    const sender = await api.token({ consumer: "telemetry-echo", scopes: ["telemetry"] });
    const body = { target: "echo", event: "greeting", eventData: { hello: ["world", 1] } };
    assert.equal((await api.call("POST", "/ipc", { token: sender, body })).status, 200);
    for (const s of [a, b]) {
      const ipc = await s.next("ipc");
      assert.deepEqual(ipc.d, { sender: "telemetry-echo", ...body });
    }
  });

  test("subscribers that go away are cleaned up", async () => {
    for (const s of subscribers) s.close();
    await waitFor(async () => (await subscriberGauge()) === 0, "no subscribers left");
    const s = subscribe("/wss", { authorization: `Bearer ${await api.token()}` });
    await s.opened;
    assert.equal(await subscriberGauge(), 1);
    s.ws.close();
    await s.closed;
    await waitFor(async () => (await subscriberGauge()) === 0, "the closed subscriber to be dropped");
  });

  test("a subscriber that does not read is disconnected and logged, not buffered without bound", async () => {
    const slow = subscribe("/wss", { authorization: `Bearer ${await api.token()}` });
    const healthy = subscribe("/wss", { authorization: `Bearer ${await api.token()}` });
    await Promise.all([slow.opened, healthy.opened]);
    await slow.next("init");
    // Stop reading: the kernel buffers fill, then the server's send buffer.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    const chunk = "x".repeat(64 * 1024);
    for (let i = 0; i < 1000; i++) {
      api.instance.logger.log("info", "flood", chunk);
      // The healthy client reads in this same process: give it time to keep up (256 KiB a step).
      if (i % 4 === 0) await new Promise((r) => setTimeout(r, 2));
      if (api.entries.some((e) => e.text.includes("fell behind"))) break;
    }
    const warning = await waitFor(
      () => api.entries.find((e) => e.category === "rest" && e.text.includes("fell behind")),
      "the slow subscriber to be dropped",
    );
    assert.equal(warning.severity, "warn");
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    await slow.closed;
    // The one that reads stays connected and keeps receiving.
    assert.equal(healthy.ws.readyState, WebSocket.OPEN);
    await api.call("POST", "/log", { body: { severity: "info", plugin: "t", message: "after the flood" } });
    await healthy.next("log", (d) => d.text === "after the flood", 10_000);
    // The server drops a closed socket asynchronously: only the healthy one is left, once it has.
    await waitFor(async () => (await subscriberGauge()) === 1, "one subscriber left (the healthy one)");
  });
});

describe("event stream at termination", () => {
  test("subscribers receive `terminating`, then the stream closes", async () => {
    const api = await ApiInstance.start({ processes: [{ id: "a", cmd: "sleep 1000", autostart: true }] });
    try {
      const s = new Subscriber(`ws://127.0.0.1:${api.port}/wss?access_token=${await api.token()}`);
      await s.opened;
      await api.call("POST", "/terminate");
      const terminating = await s.next("terminating");
      assert.match(terminating.d.reason, /POST \/terminate by test/);
      await s.next("process_status_changed", (d) => d.status.id === "a" && d.new === ProcessState.FINISHED);
      assert.equal(await s.closed, 1001);
    } finally {
      await api.close();
    }
  });
});
