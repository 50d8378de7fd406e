import assert from "node:assert/strict";
import { test } from "node:test";
import { backendFlags } from "../../src/balancer/service.ts";
import {
  type BackendState,
  candidateOrder,
  eligibility,
  inRotation,
  mayHold,
} from "../../src/balancer/strategy.ts";
import { ProcessState } from "../../src/core/states.ts";

const b = (running: boolean, up = true, connections = 0, more: Partial<BackendState> = {}): BackendState => ({
  running,
  up,
  connections,
  healthy: true,
  drained: false,
  ...more,
});
const from = (address: string) => () => address;
const noAddress = () => {
  throw new Error("only ip-hash reads the client's address");
};

test("round-robin moves on by one per connection, without asking for the client's address", () => {
  const backends = [b(true), b(true), b(true)];
  assert.deepEqual(
    [0, 1, 2, 3].map((c) => candidateOrder("round-robin", backends, noAddress, c)[0]),
    [0, 1, 2, 0],
  );
});

test("only RUNNING instances are tried while any is running; those marked down go last", () => {
  const backends = [b(false), b(true, false), b(true)];
  assert.deepEqual(candidateOrder("round-robin", backends, noAddress, 0), [2, 1]);
  assert.deepEqual(
    candidateOrder("round-robin", [b(false), b(false)], noAddress, 1),
    [1, 0],
    "none running: try all",
  );
});

test("least-connections prefers the instance with the fewest open connections", () => {
  const backends = [b(true, true, 5), b(true, true, 1), b(true, true, 3)];
  assert.deepEqual(candidateOrder("least-connections", backends, noAddress, 0), [1, 2, 0]);
});

test("ip-hash keeps a client on one instance, and moves it only when that instance is out", () => {
  const backends = [b(true), b(true), b(true), b(true)];
  const first = candidateOrder("ip-hash", backends, from("10.1.2.3"), 0)[0];
  for (let c = 0; c < 5; c++)
    assert.equal(candidateOrder("ip-hash", backends, from("10.1.2.3"), c)[0], first);
  const spread = new Set(
    Array.from({ length: 50 }, (_, i) => candidateOrder("ip-hash", backends, from(`10.0.0.${i}`), 0)[0]),
  );
  assert.ok(spread.size >= 3, "different clients spread over instances");
  backends[first].running = false;
  assert.equal(candidateOrder("ip-hash", backends, from("10.1.2.3"), 0)[0], (first + 1) % 4);
});

test("drained and unhealthy instances get no new connection while another is in rotation", () => {
  const backends = [b(true, true, 0, { drained: true }), b(true, true, 0, { healthy: false }), b(true)];
  assert.deepEqual(candidateOrder("round-robin", backends, noAddress, 0), [2]);
  assert.deepEqual(candidateOrder("least-connections", backends, noAddress, 1), [2]);
  assert.equal(candidateOrder("ip-hash", backends, from("10.1.2.3"), 0)[0], 2);
  assert.deepEqual(backends.map(inRotation), [false, false, true]);
});

test("no healthy instance: the running unhealthy ones serve rather than refuse; drained ones never", () => {
  const backends = [b(true, true, 0, { healthy: false }), b(true, true, 0, { drained: true }), b(false)];
  assert.deepEqual(candidateOrder("round-robin", backends, noAddress, 0), [0]);
  assert.equal(mayHold(backends), true);
});

test("only drained instances left: no candidate, and the client may wait for one to come back", () => {
  const drained = [b(true, true, 0, { drained: true }), b(false, true, 0, { drained: true })];
  assert.deepEqual(candidateOrder("round-robin", drained, noAddress, 0), []);
  assert.equal(eligibility(drained), undefined);
  assert.equal(mayHold(drained), true);
  // One drained and running, one crashed: the crashed one is not tried while another runs (SPEC §7).
  const mixed = [b(true, true, 0, { drained: true }), b(false)];
  assert.deepEqual(candidateOrder("round-robin", mixed, noAddress, 0), []);
  // Nothing drained and nothing running: everything is tried, nobody waits.
  const stopped = [b(false), b(false, false)];
  assert.deepEqual(candidateOrder("round-robin", stopped, noAddress, 0), [0, 1]);
  assert.equal(mayHold(stopped), false);
  // Nothing running, one drained: the other is tried.
  assert.deepEqual(
    candidateOrder("round-robin", [b(false, true, 0, { drained: true }), b(false)], noAddress, 0),
    [1],
  );
});

test("a cluster instance's status: running, and healthy unless its health check has not passed", () => {
  const { RUNNING, STOPPING } = ProcessState;
  assert.deepEqual(backendFlags({ status: RUNNING }), { running: true, healthy: true });
  assert.deepEqual(backendFlags({ status: RUNNING, health: "healthy" }), { running: true, healthy: true });
  assert.deepEqual(backendFlags({ status: RUNNING, health: "starting" }), { running: true, healthy: false });
  assert.deepEqual(backendFlags({ status: RUNNING, health: "unhealthy" }), { running: true, healthy: false });
  assert.deepEqual(backendFlags({ status: STOPPING }), { running: false, healthy: true });
});
