import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { after, MAX_TIMER_MS } from "../../src/common/timers.ts";

describe("timers", () => {
  test("a delay above 2^31-1 ms is chained, not fired at once", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
    let fired = 0;
    const thirtyDays = 30 * 24 * 3600 * 1000;
    after(thirtyDays, () => fired++);
    t.mock.timers.tick(10);
    assert.equal(fired, 0, "fired after 10 ms");
    t.mock.timers.tick(MAX_TIMER_MS);
    assert.equal(fired, 0, "fired after the first chunk");
    t.mock.timers.tick(thirtyDays - MAX_TIMER_MS - 10 - 1);
    assert.equal(fired, 0, "fired 1 ms early");
    t.mock.timers.tick(1);
    assert.equal(fired, 1);
  });

  test("cancel stops a chained timer in any of its chunks", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
    let fired = 0;
    const timer = after(3 * MAX_TIMER_MS, () => fired++);
    t.mock.timers.tick(MAX_TIMER_MS + 5);
    timer.cancel();
    t.mock.timers.tick(3 * MAX_TIMER_MS);
    assert.equal(fired, 0);
  });
});

describe("timers for a year", () => {
  test("a year's delay fires after a year, not before", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
    const day = 24 * 3600 * 1000;
    let fired = 0;
    after(365 * day, () => fired++);
    const cancelled = after(100 * day, () => fired++);
    cancelled.cancel();
    for (let d = 0; d < 364; d++) t.mock.timers.tick(day);
    assert.equal(fired, 0);
    t.mock.timers.tick(day);
    assert.equal(fired, 1);
  });
});
