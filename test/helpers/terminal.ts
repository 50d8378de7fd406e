import { type ChildProcess, spawn } from "node:child_process";
import { waitFor } from "./wait.ts";

/* What a person has at a terminal: a shell that keeps its state between commands (variables,
   `cd`), and foreground jobs that run until Ctrl+C. */

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A bash reading commands one at a time, as typed at a prompt. */
export class Shell {
  private readonly child: ChildProcess;
  private stdout = "";
  private stderr = "";
  private count = 0;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn("bash", ["--noprofile", "--norc"], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      this.stdout += d;
    });
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
    });
  }

  /** Type one line and wait for the prompt: its exit status and what it printed. */
  async run(line: string, timeoutMs = 30_000): Promise<CommandResult> {
    const mark = `__pup_test_done_${++this.count}__`;
    this.stdout = "";
    this.stderr = "";
    this.child.stdin!.write(
      `${line}\n__rc=$?; printf '\\n${mark} %s\\n' "$__rc"; printf '\\n${mark}\\n' >&2\n`,
    );
    const pattern = new RegExp(`\\n${mark} (\\d+)\\n$`);
    const done = () => (this.stderr.endsWith(`\n${mark}\n`) ? pattern.exec(this.stdout) : null);
    const code = await waitFor(done, `"${line}" to finish`, timeoutMs);
    const strip = (text: string) => text.slice(0, text.lastIndexOf(`\n${mark}`));
    return { code: Number(code[1]), stdout: strip(this.stdout), stderr: strip(this.stderr) };
  }

  close(): void {
    this.child.stdin!.end();
    this.child.kill("SIGKILL");
  }
}

/** A foreground job: its own process group, which Ctrl+C (SIGINT) reaches whole. */
export class ForegroundJob {
  readonly child: ChildProcess;
  output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(line: string, cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn("bash", ["--noprofile", "--norc", "-c", line], {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding("utf8").on("data", (d: string) => {
        this.output += d;
      });
    }
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => resolve({ code, signal })),
    );
  }

  waitForOutput(text: string, timeoutMs = 20_000): Promise<boolean> {
    return waitFor(() => this.output.includes(text), `"${text}" in:\n${this.output}`, timeoutMs);
  }

  /** Ctrl+C: SIGINT to the job's process group. */
  interrupt(): void {
    this.signal("SIGINT");
  }

  /** For clean-up: the whole group, whatever state it is in. */
  kill(): void {
    this.signal("SIGKILL");
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // already gone
    }
  }
}
