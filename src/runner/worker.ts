import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { pipeLines } from "./output.ts";
import { type ExitInfo, failedRun, type OutputHandler, type Run } from "./types.ts";

export interface WorkerSpec {
  /** The script (relative to `scriptDir`, default `cwd`), then its arguments. */
  worker: string[];
  cwd: string;
  scriptDir?: string;
  env: NodeJS.ProcessEnv;
  output: OutputHandler;
}

const OUTPUT_GRACE_MS = 1000;

/**
 * A TypeScript worker is loaded through tsx's programmatic import (loader flags do not reach
 * worker threads on Node 20). Returns the bootstrap code, or null when tsx is not installed.
 */
function typeScriptBootstrap(file: string): string | undefined | null {
  if (!/\.[cm]?tsx?$/.test(file)) return undefined;
  let api: string;
  try {
    api = import.meta.resolve("tsx/esm/api");
  } catch {
    return null;
  }
  const target = JSON.stringify(pathToFileURL(file).href);
  return `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${target}, ${target}));`;
}

/**
 * Runs a JavaScript (or, with tsx installed, TypeScript) file as a worker thread of the instance. It has no pid of its own; a stop
 * terminates the thread. Its console output becomes log lines like a child's.
 */
export function spawnWorker(spec: WorkerSpec): Run {
  const [script, ...args] = spec.worker;
  const file = path.resolve(spec.scriptDir ?? spec.cwd, script);
  if (!existsSync(file)) {
    const spawnError = `worker script not found: ${file}`;
    return failedRun(spawnError);
  }
  const bootstrap = typeScriptBootstrap(file);
  if (bootstrap === null) {
    const spawnError = `${file} is TypeScript: install the "tsx" package to run TypeScript workers`;
    return failedRun(spawnError);
  }
  let worker: Worker;
  try {
    worker = new Worker(bootstrap ?? file, {
      eval: bootstrap !== undefined,
      argv: args,
      env: spec.env,
      stdout: true,
      stderr: true,
    });
  } catch (err) {
    return failedRun(`cannot start worker ${file}: ${(err as Error).message}`);
  }
  const started = new Promise<void>((resolve, reject) => {
    worker.once("online", resolve);
    worker.once("error", reject);
  });
  started.catch(() => {});
  const outputs = Promise.all([
    pipeLines(worker.stdout, "stdout", spec.output).done,
    pipeLines(worker.stderr, "stderr", spec.output).done,
  ]);
  let terminatedBy: NodeJS.Signals | null = null;
  worker.on("error", (err) => {
    spec.output.line("stderr", err.stack ?? String(err));
  });
  const exited = new Promise<ExitInfo>((resolve) => {
    worker.once("exit", (code) => {
      const done = () => resolve({ code: terminatedBy ? null : code, signal: terminatedBy });
      // The streams end right after the thread; never wait for them forever.
      const giveUp = setTimeout(done, OUTPUT_GRACE_MS);
      outputs.then(() => {
        clearTimeout(giveUp);
        done();
      });
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
