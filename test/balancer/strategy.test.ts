import assert from "node:assert/strict";
import { test } from "node:test";
import { type BackendState, candidateOrder } from "../../src/balancer/strategy.ts";

const b = (running: boolean, up = true, connections = 0): BackendState => ({ running, up, connections });

test("round-robin moves on by one per connection", () => {
  const backends = [b(true), b(true), b(true)];
  assert.deepEqual(
    [0, 1, 2, 3].map((c) => candidateOrder("round-robin", backends, "x", c)[0]),
    [0, 1, 2, 0],
  );
});

test("only RUNNING instances are tried while any is running; those marked down go last", () => {
  const backends = [b(false), b(true, false), b(true)];
  assert.deepEqual(candidateOrder("round-robin", backends, "x", 0), [2, 1]);
  assert.deepEqual(
    candidateOrder("round-robin", [b(false), b(false)], "x", 1),
    [1, 0],
    "none running: try all",
  );
});

test("least-connections prefers the instance with the fewest open connections", () => {
  const backends = [b(true, true, 5), b(true, true, 1), b(true, true, 3)];
  assert.deepEqual(candidateOrder("least-connections", backends, "x", 0), [1, 2, 0]);
});

test("ip-hash keeps a client on one instance, and moves it only when that instance is out", () => {
  const backends = [b(true), b(true), b(true), b(true)];
  const first = candidateOrder("ip-hash", backends, "10.1.2.3", 0)[0];
  for (let c = 0; c < 5; c++) assert.equal(candidateOrder("ip-hash", backends, "10.1.2.3", c)[0], first);
  const spread = new Set(
    Array.from({ length: 50 }, (_, i) => candidateOrder("ip-hash", backends, `10.0.0.${i}`, 0)[0]),
  );
  assert.ok(spread.size >= 3, "different clients spread over instances");
  backends[first].running = false;
  assert.equal(candidateOrder("ip-hash", backends, "10.1.2.3", 0)[0], (first + 1) % 4);
});
