import { existsSync } from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { pipeLines } from "./output.ts";
import type { ExitInfo, OutputHandler, Run } from "./types.ts";

export interface WorkerSpec {
  /** The script (relative to `scriptDir`, default `cwd`), then its arguments. */
  worker: string[];
  cwd: string;
  scriptDir?: string;
  env: NodeJS.ProcessEnv;
  output: OutputHandler;
}

/**
 * Runs a JavaScript file as a worker thread of the instance. It has no pid of its own; a stop
 * terminates the thread. Its console output becomes log lines like a child's.
 */
export function spawnWorker(spec: WorkerSpec): Run {
  const [script, ...args] = spec.worker;
  const file = path.resolve(spec.scriptDir ?? spec.cwd, script);
  if (!existsSync(file)) {
    const spawnError = `worker script not found: ${file}`;
    return {
      pid: undefined,
      started: Promise.reject(new Error(spawnError)),
      exited: Promise.resolve({ code: null, signal: null, spawnError }),
      signal() {},
    };
  }
  const worker = new Worker(file, { argv: args, env: spec.env, stdout: true, stderr: true });
  const started = new Promise<void>((resolve, reject) => {
    worker.once("online", resolve);
    worker.once("error", reject);
  });
  started.catch(() => {});
  const outputs = Promise.all([
    pipeLines(worker.stdout, "stdout", spec.output),
    pipeLines(worker.stderr, "stderr", spec.output),
  ]);
  let terminatedBy: NodeJS.Signals | null = null;
  worker.on("error", (err) => {
    spec.output.line("stderr", err.stack ?? String(err));
  });
  const exited = new Promise<ExitInfo>((resolve) => {
    worker.once("exit", (code) => {
      outputs.then(() => resolve({ code: terminatedBy ? null : code, signal: terminatedBy }));
    });
  });
  return {
    pid: undefined,
    started,
    exited,
    signal(signal) {
      terminatedBy = signal;
      void worker.terminate();
    },
  };
}
