import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ProcessState } from "../../src/core/states.ts";
import type { ProcessInfo } from "../../src/core/types.ts";
import { ApiInstance, type Json } from "./api-instance.ts";

const { RUNNING, FINISHED, ERRORED } = ProcessState;

/** A status without what a resource sample may change between two reads. */
function withoutUsage({ cpu: _cpu, rss: _rss, ...status }: ProcessInfo) {
  return status;
}

describe("GET /processes is answered from a cached body, never a stale one", () => {
  let api: ApiInstance;
  before(async () => {
    api = await ApiInstance.start({
      processes: [
        { id: "victim", cmd: "sleep 1000" },
        { id: "other", cmd: "sleep 1000" },
      ],
    });
  });
  after(() => api.close());

  const listed = async (id: string): Promise<Json> => {
    const r = await api.call("GET", "/processes");
    assert.equal(r.status, 200, r.text);
    return r.body.data.find((e: Json) => e.status.id === id).status;
  };

  test("a change made behind the API's back is in the very next answer", async () => {
    const { supervisor } = api.instance;
    // Twice: the second answer comes from the cache.
    assert.equal((await listed("victim")).blocked, false);
    assert.equal((await listed("victim")).blocked, false);

    supervisor.blockProcess("victim");
    assert.equal((await listed("victim")).blocked, true);
    supervisor.unblockProcess("victim");
    assert.equal((await listed("victim")).blocked, false);

    supervisor.startProcess("victim");
    await api.waitStatus("victim", RUNNING);
    const running = await listed("victim");
    assert.equal(running.status, RUNNING);
    assert.equal(typeof running.pid, "number");

    // The child dies by itself (a signal nobody asked for): ERRORED with its signal.
    process.kill(running.pid, "SIGKILL");
    await api.waitStatus("victim", ERRORED);
    const errored = await listed("victim");
    assert.equal(errored.status, ERRORED);
    assert.equal(errored.signal, "SIGKILL");
    assert.equal(errored.pid, undefined);
  });

  test("the answer is what the supervisor lists, and an action through the API shows at once", async () => {
    const { supervisor } = api.instance;
    await listed("other");
    const start = await api.call("POST", "/processes/other/start");
    assert.equal(start.status, 200, start.text);
    await api.waitStatus("other", RUNNING);
    const r = await api.call("GET", "/processes");
    assert.deepEqual(
      r.body.data.map((e: Json) => withoutUsage(e.status)),
      supervisor.list().map((e) => withoutUsage(JSON.parse(JSON.stringify(e.status)))),
    );
    const stop = await api.call("POST", "/processes/other/stop");
    assert.equal(stop.status, 200, stop.text);
    assert.equal((await listed("other")).status, FINISHED);
  });

  test("the /api copy answers the same body", async () => {
    const [root, prefixed] = await Promise.all([
      api.call("GET", "/processes"),
      api.call("GET", "/api/processes"),
    ]);
    assert.equal(prefixed.text, root.text);
    assert.equal(prefixed.headers.get("content-type"), "application/json; charset=utf-8");
  });
});
