import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { type ParsedCommand, parseCommand } from "./command.ts";
import { pipeLines } from "./output.ts";
import type { Reaper } from "./reaper.ts";
import { type ExitInfo, failedRun, type OutputHandler, type Run } from "./types.ts";

export interface ChildSpec {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  output: OutputHandler;
  /** Kills the child's group if the instance itself dies. */
  reaper?: Reaper;
}

/** How long to wait for the pipes to close after the child exited, before giving up on them. */
const OUTPUT_GRACE_MS = 2000;

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Parsed commands by their text: a process restarting in a loop parses its command once. */
const parsedCommands = new Map<string, ParsedCommand>();

/**
 * Spawns `command` as the leader of a new process group, so that signals reach the whole tree
 * (a shell's children and grandchildren). When the leader exits, whatever is left of its group
 * gets SIGTERM: no process started by pup outlives it.
 */
export function spawnChild(spec: ChildSpec): Run {
  let parsed = parsedCommands.get(spec.command);
  if (!parsed) {
    parsed = parseCommand(spec.command);
    if (parsedCommands.size < 10_000) parsedCommands.set(spec.command, parsed);
  }
  const [file, args] =
    parsed.kind === "argv" ? [parsed.file, parsed.args] : ["/bin/sh", ["-c", parsed.script]];

  if (!existsSync(spec.cwd)) {
    const spawnError = `working directory does not exist: ${spec.cwd}`;
    return failedRun(spawnError);
  }

  const child = spawn(file, args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });

  // Tracked now, not at the "spawn" event: the child runs already, and the instance could be
  // killed before the next turn of the event loop.
  if (child.pid !== undefined) spec.reaper?.track(child.pid);
  let spawned = false;
  const started = new Promise<void>((resolve, reject) => {
    child.once("spawn", () => {
      spawned = true;
      resolve();
    });
    child.once("error", (err) => {
      if (!spawned) reject(err);
    });
  });
  started.catch(() => {});

  const outputs = Promise.all([
    pipeLines(child.stdout!, "stdout", spec.output),
    pipeLines(child.stderr!, "stderr", spec.output),
  ]);

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      if (spawned) return;
      resolve({ code: null, signal: null, spawnError: `${err.code ?? "error"}: cannot run ${file}` });
    });
    child.once("exit", (code, signal) => {
      const pid = child.pid!;
      // Leftovers of the group (background jobs of a shell) go with their leader.
      killGroup(pid, "SIGTERM");
      const giveUp = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, OUTPUT_GRACE_MS);
      outputs.then(() => {
        clearTimeout(giveUp);
        spec.reaper?.untrack(pid);
        resolve({ code, signal });
      });
    });
  });

  return {
    get pid() {
      return child.pid;
    },
    started,
    exited,
    signal(signal) {
      if (child.pid === undefined) return;
      if (!killGroup(child.pid, signal)) {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      }
    },
  };
}
