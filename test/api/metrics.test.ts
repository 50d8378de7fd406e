import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { ProcessState } from "../../src/core/states.ts";
import { waitFor } from "../helpers/wait.ts";
import { ApiInstance } from "./api-instance.ts";

/** CPU seconds the processes of a process group have used, from /proc (utime + stime). */
function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100;
}

// Burns 1.2 s of CPU (measured as CPU, not wall time), says so, then idles.
const BURN =
  "node -e \"while ((process.cpuUsage().user + process.cpuUsage().system) < 1.2e6); console.log('burnt'); setInterval(() => {}, 1000)\"";

describe("pup_process_cpu_seconds_total counts CPU seconds", () => {
  let api: ApiInstance;
  before(async () => {
    api = await ApiInstance.start({ processes: [{ id: "burn", cmd: BURN, autostart: true }] });
  });
  after(() => api.close());

  const metric = async () => {
    const text = (await api.call("GET", "/metrics")).text;
    return Number(/pup_process_cpu_seconds_total\{process="burn"\} (\S+)/.exec(text)?.[1]);
  };

  test("the CPU a process used before the first scrape, and again after a restart: never less", async () => {
    await waitFor(
      () => api.entries.some((e) => e.processId === "burn" && e.text === "burnt"),
      "the burn",
      30_000,
    );
    const pid = api.status("burn").pid!;
    // The API's first request comes now, long after the CPU was used.
    const first = await metric();
    const used = groupCpuSeconds(pid);
    assert.ok(used >= 1.15, `the group used ${used} s`);
    assert.ok(Math.abs(first - used) < 0.15, `metric ${first} s, /proc ${used} s`);

    await api.call("POST", "/processes/burn/restart");
    await api.waitStatus("burn", ProcessState.RUNNING);
    const again = await waitFor(
      () => api.entries.filter((e) => e.processId === "burn" && e.text === "burnt").length === 2,
      "the second burn",
      30_000,
    );
    assert.ok(again);
    const second = await metric();
    const secondRun = groupCpuSeconds(api.status("burn").pid!);
    // A counter: both runs, never going back.
    assert.ok(Math.abs(second - (first + secondRun)) < 0.3, `metric ${second}, runs ${first} + ${secondRun}`);
  });
});
