import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { overCap } from "../../src/api/stream-bounds.ts";
import { sleep, waitFor } from "../helpers/wait.ts";
import { ApiInstance, type Json } from "./api-instance.ts";

/** A subscriber that records what it receives and how its stream ended. */
class Subscriber {
  readonly messages: Json[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on("message", (data) => this.messages.push(JSON.parse(String(data))));
    this.ws.on("error", () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("unexpected-response", (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) =>
      this.ws.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  /** Stop reading: the kernel's buffers fill, then the instance's. */
  stopReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.pause();
  }
}

describe("what the event stream keeps unsent is bounded, for all subscribers together", () => {
  test("overCap: the slowest go first, as few as bring the total under the cap", () => {
    const buffered = [
      { s: "reader", bytes: 10 },
      { s: "slow", bytes: 500 },
      { s: "slower", bytes: 900 },
      { s: "idle", bytes: 0 },
    ];
    assert.deepEqual(
      overCap(buffered, 1000).map((b) => b.s),
      ["slower"],
    );
    assert.deepEqual(
      overCap(buffered, 100).map((b) => b.s),
      ["slower", "slow"],
    );
    assert.deepEqual(overCap(buffered, 5000), []);
    // Nothing unsent: never dropped, whatever the cap.
    assert.deepEqual(
      overCap([{ s: "idle", bytes: 0 }], 0).map((b) => b.s),
      [],
    );
  });

  test("subscribers that never read are closed once all of them together hold the cap; a reader stays", async () => {
    const TOTAL = 2 * 1024 * 1024;
    const api = await ApiInstance.start(
      { processes: [{ id: "p", cmd: "sleep 1000" }] },
      { stream: { maxBufferedBytes: 64 * 1024 * 1024, maxTotalBufferedBytes: TOTAL } },
    );
    const url = `ws://127.0.0.1:${api.port}/wss?access_token=${await api.token()}`;
    const silent = Array.from({ length: 6 }, () => new Subscriber(url));
    const reader = new Subscriber(url);
    try {
      await Promise.all([...silent, reader].map((s) => s.opened));
      for (const s of silent) s.stopReading();
      const chunk = "x".repeat(64 * 1024);
      const dropped = () => api.entries.filter((e) => e.category === "rest" && /fell behind/.test(e.text));
      for (let i = 0; i < 2000; i++) {
        api.instance.logger.log("info", "flood", chunk);
        // The reader reads in this same process: give it time to keep up (256 KiB a step).
        if (i % 4 === 0) await sleep(2);
        const gauge = /pup_api_stream_subscribers (\d+)/.exec((await api.call("GET", "/metrics")).text);
        if (Number(gauge?.[1]) === 1) break;
      }
      await waitFor(async () => {
        const gauge = /pup_api_stream_subscribers (\d+)/.exec((await api.call("GET", "/metrics")).text);
        return Number(gauge?.[1]) === 1;
      }, "only the reader left");
      // Each was dropped holding no more than the total cap (far under its own cap of 64 MiB).
      const warnings = dropped();
      assert.ok(warnings.length > 0);
      for (const w of warnings) {
        const most = Number(/up to (\d+) bytes unsent/.exec(w.text)?.[1]);
        assert.ok(most <= TOTAL + chunk.length * 2, w.text);
      }
      assert.equal(reader.ws.readyState, WebSocket.OPEN);
      await api.call("POST", "/log", { body: { severity: "info", plugin: "t", message: "after the flood" } });
      await waitFor(
        () => reader.messages.some((m) => m.t === "log" && m.d.text === "after the flood"),
        "the reader",
      );
    } finally {
      for (const s of [...silent, reader]) s.ws.terminate();
      await api.close();
    }
  });
});

test("a subscriber that answers no ping (a vanished client) is dropped at the next heartbeat; one that answers stays", async () => {
  const api = await ApiInstance.start(
    { processes: [{ id: "p", cmd: "sleep 1000" }] },
    { stream: { heartbeatMs: 150 } },
  );
  const url = `ws://127.0.0.1:${api.port}/wss?access_token=${await api.token()}`;
  const vanished = new Subscriber(url, { autoPong: false });
  const answering = new Subscriber(url);
  try {
    await Promise.all([vanished.opened, answering.opened]);
    const { code } = await vanished.closed;
    assert.equal(code, 1006, "cut off, without a closing handshake");
    await sleep(400);
    assert.equal(answering.ws.readyState, WebSocket.OPEN, "pongs keep a subscriber");
    const gauge = /pup_api_stream_subscribers (\d+)/.exec((await api.call("GET", "/metrics")).text);
    assert.equal(Number(gauge?.[1]), 1);
  } finally {
    for (const s of [vanished, answering]) s.ws.terminate();
    await api.close();
  }
});

describe("an event stream ends with its token", () => {
  let api: ApiInstance;
  before(async () => {
    api = await ApiInstance.start({ processes: [{ id: "p", cmd: "sleep 1000" }] });
  });
  after(() => api.close());
  const open = async (token: string) => {
    const s = new Subscriber(`ws://127.0.0.1:${api.port}/wss?access_token=${token}`);
    await s.opened;
    return s;
  };

  test("a token that expires in 2 s: the stream is closed then (4401 token expired)", async () => {
    const s = await open(await api.token({ expiresIn: 2 }));
    const closed = await Promise.race([s.closed, sleep(6000).then(() => undefined)]);
    s.ws.terminate();
    assert.deepEqual(closed, { code: 4401, reason: "token expired" });
  });

  test("revoking a consumer (as a reload does) closes its streams at once and refuses its token", async () => {
    const token = await api.token({ consumer: "eve" });
    const eve = [await open(token), await open(token)];
    const other = await open(await api.token({ consumer: "ann" }));
    api.service.setRevoked(["eve"]);
    for (const s of eve) assert.deepEqual(await s.closed, { code: 4401, reason: "token revoked" });
    assert.equal(other.ws.readyState, WebSocket.OPEN);
    const r = await api.call("GET", "/processes", { token });
    assert.equal(r.status, 401);
    assert.match(r.body.error, /Revoked/);
    api.service.setRevoked([]);
    assert.equal((await api.call("GET", "/processes", { token })).status, 200);
    other.ws.terminate();
  });
});
