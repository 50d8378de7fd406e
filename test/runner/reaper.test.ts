import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, test } from "node:test";
import { Reaper } from "../../src/runner/reaper.ts";
import { alive, waitFor } from "../helpers/wait.ts";

const started: ChildProcess[] = [];
after(() => {
  for (const c of started) {
    try {
      process.kill(-c.pid!, "SIGKILL");
    } catch {
      // gone
    }
  }
});

function sleeper(env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn("sh", ["-c", "sleep 100 & wait"], { detached: true, stdio: "ignore", env });
  started.push(child);
  return child;
}

test("when its pipe closes, the reaper ends tracked groups and tagged children, and nothing else", async () => {
  const reaper = new Reaper();
  reaper.start();
  const env = { ...process.env, ...reaper.environment };
  const tracked = sleeper(env);
  reaper.track(tracked.pid!);
  const untrackedButTagged = sleeper(env);
  const stranger = sleeper();
  await new Promise((r) => setTimeout(r, 300));
  reaper.stop();
  await waitFor(() => !alive(tracked.pid!) && !alive(untrackedButTagged.pid!), "the reaper to act", 5000);
  assert.ok(alive(stranger.pid!), "a process of someone else is left alone");
});
