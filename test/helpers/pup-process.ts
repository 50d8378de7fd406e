import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PUP_BIN = path.join(ROOT, "bin", "pup.js");

/** A `pup` CLI process started by a test, with its output collected. */
export class PupProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(process.execPath, [PUP_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      this.stdout += d;
    });
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => resolve({ code, signal })),
    );
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  get pid(): number {
    return this.child.pid!;
  }

  waitForOutput(pattern: RegExp | string, timeoutMs = 10_000): Promise<boolean> {
    const test = (s: string) => (typeof pattern === "string" ? s.includes(pattern) : pattern.test(s));
    return waitFor(
      () => test(this.output),
      `output ${pattern}\n--- output so far:\n${this.output}`,
      timeoutMs,
    );
  }

  /** Make sure it is gone (for `after` hooks): SIGTERM, then SIGKILL. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Run a pup command to completion. */
export async function runPup(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new PupProcess(args, options);
  const timer = setTimeout(() => p.child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout, stderr: p.stderr };
}
