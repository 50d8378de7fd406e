import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { after } from "../common/timers.ts";
import { type ParsedCommand, parseCommand } from "./command.ts";
import { type PipeReader, pipeLines } from "./output.ts";
import { groupAlive, signalGroup } from "./process-group.ts";
import type { Reaper } from "./reaper.ts";
import { type ExitInfo, failedRun, type OutputHandler, type Run } from "./types.ts";

export interface ChildSpec {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  output: OutputHandler;
  /** Kills the child's group if the instance itself dies. */
  reaper?: Reaper;
  /**
   * When the leader has exited and members of its group are left: ms between the SIGTERM they
   * get and the SIGKILL (the process's terminateTimeout).
   */
  leftoverTimeoutMs?: number;
  /** Notes about the run that the user should see (leftovers ended, output abandoned). */
  note?: (severity: "info" | "warn", text: string) => void;
}

/** Reading the pipes after the group is gone: give up when they stay quiet this long… */
const OUTPUT_IDLE_MS = 2000;
/** …or have been read this long (a process that left the group holds them and keeps writing). */
const OUTPUT_MAX_MS = 30_000;
/** Checks for what is left of a group: from every 10 ms, doubling, to every 500 ms. */
const GROUP_POLL_FIRST_MS = 10;
const GROUP_POLL_MAX_MS = 500;

/** Parsed commands by their text: a process restarting in a loop parses its command once. */
const parsedCommands = new Map<string, ParsedCommand>();

function parsed(command: string): ParsedCommand {
  let found = parsedCommands.get(command);
  if (!found) {
    found = parseCommand(command);
    if (parsedCommands.size < 10_000) parsedCommands.set(command, found);
  }
  return found;
}

/** Why `cwd` cannot be a working directory, or undefined when it can. */
function cwdProblem(cwd: string): string | undefined {
  try {
    return statSync(cwd).isDirectory() ? undefined : `working directory is not a directory: ${cwd}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? `working directory does not exist: ${cwd}`
      : `working directory ${cwd}: ${code ?? (err as Error).message}`;
  }
}

/**
 * Spawns `command` as the leader of a new process group, so that signals reach the whole tree (a
 * shell's children and grandchildren). The run is over when the group is empty, not when its
 * leader exits: what the leader leaves behind gets SIGTERM, then SIGKILL after
 * `leftoverTimeoutMs`, and the run (and the reaper's record of it) lasts until the last member is
 * gone. A process that leaves the group (setsid) is outside this guarantee; the reaper's tag scan
 * still ends it when the instance exits.
 */
export function spawnChild(spec: ChildSpec): Run {
  const command = parsed(spec.command);
  const [file, args] =
    command.kind === "argv" ? [command.file, command.args] : ["/bin/sh", ["-c", command.script]];

  const problem = cwdProblem(spec.cwd);
  if (problem) return failedRun(problem);

  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    // E2BIG, ENOMEM, ENOTDIR, a NUL byte…: thrown at once instead of emitted.
    const e = err as NodeJS.ErrnoException;
    return failedRun(`${e.code ?? "error"}: cannot run ${file}: ${e.message}`);
  }

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

  const readers = [
    pipeLines(child.stdout!, "stdout", spec.output),
    pipeLines(child.stderr!, "stderr", spec.output),
  ];

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      if (spawned) return;
      for (const r of readers) r.abandon();
      resolve({ code: null, signal: null, spawnError: `${err.code ?? "error"}: cannot run ${file}` });
    });
    child.once("exit", (code, signal) => {
      const pid = child.pid!;
      void endOfGroup(pid, spec)
        .then(() => {
          spec.reaper?.untrack(pid);
          return readToEnd(readers, spec);
        })
        .then(() => resolve({ code, signal }));
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
      if (!signalGroup(child.pid, signal)) {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      }
    },
  };
}

/** After the leader's exit: SIGTERM what is left of the group, SIGKILL it later; resolves when it is empty. */
function endOfGroup(pgid: number, spec: ChildSpec): Promise<void> {
  if (!signalGroup(pgid, "SIGTERM") || !groupAlive(pgid)) return Promise.resolve();
  const timeoutMs = spec.leftoverTimeoutMs ?? 30_000;
  spec.note?.("info", `the main process exited; ending what is left of its process group (SIGTERM)`);
  return new Promise((resolve) => {
    const kill = after(timeoutMs, () => {
      spec.note?.("warn", `process group still running ${timeoutMs / 1000}s after SIGTERM: SIGKILL`);
      signalGroup(pgid, "SIGKILL");
    });
    let wait = GROUP_POLL_FIRST_MS;
    const check = () => {
      if (!groupAlive(pgid)) {
        kill.cancel();
        resolve();
        return;
      }
      wait = Math.min(wait * 2, GROUP_POLL_MAX_MS);
      after(wait, check);
    };
    after(wait, check);
  });
}

/**
 * The group is gone, so the pipes normally reach end-of-file at once. Lines still waiting for
 * the consumer are read to the end; only pipes that stay open and quiet (held by a process that
 * left the group) are abandoned, with a note.
 */
function readToEnd(readers: PipeReader[], spec: ChildSpec): Promise<void> {
  const all = Promise.all(readers.map((r) => r.done)).then(() => {});
  const since = performance.now();
  return new Promise((resolve) => {
    let timer = after(OUTPUT_IDLE_MS, check);
    function check() {
      const open = readers.filter((r) => r.busyWithin(OUTPUT_IDLE_MS));
      const overdue = performance.now() - since > OUTPUT_MAX_MS;
      if (open.length > 0 && !overdue) {
        timer = after(OUTPUT_IDLE_MS, check);
        return;
      }
      spec.note?.(
        "warn",
        "output pipes are still open after the process group ended (held by a process that left the group): stopped reading them",
      );
      for (const r of readers) r.abandon();
    }
    all.then(() => {
      timer.cancel();
      resolve();
    });
  });
}
