import { PROCESS_ACTIONS, type ProcessAction } from "../client/client.ts";
import type { ConfigFlags } from "./config-flags.ts";

/**
 * The CLI's entry (bin/pup.js): the control commands and `--version` on a fast path, everything
 * else through commander in main.ts. Returns the exit code.
 */
export async function cli(argv: string[]): Promise<number> {
  const fast = parseFastCommand(argv);
  if (fast === undefined) return (await import("./main.ts")).main(argv);
  try {
    if (fast.command === "version") {
      const { VERSION } = await import("../version.ts");
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const control = await import("./commands/control.ts");
    if (fast.command === "status") return await control.statusCommand(fast.flags);
    if (fast.command === "terminate") return await control.terminateCommand(fast.flags);
    return await control.actionCommand(fast.action, fast.id, fast.flags);
  } catch (err) {
    return (await import("./report-error.ts")).reportError(err);
  }
}

/**
 * The commands that only talk to a running instance, and `--version`, run without commander: they
 * are the ones run often, from scripts and by hand, so their start-up time is what users feel.
 * Only plainly well-formed argument lists take this path; anything else (help, a typo, an unknown
 * option, a missing id) goes to the full parser in main.ts, which answers it as it always did.
 */
export type FastCommand =
  | { command: "version" }
  | { command: "status"; flags: ConfigFlags & { json?: boolean } }
  | { command: "action"; action: ProcessAction; id: string; flags: ConfigFlags }
  | { command: "terminate"; flags: ConfigFlags };

const CONFIG_OPTIONS = new Map<string, keyof ConfigFlags>([
  ["-c", "config"],
  ["--config", "config"],
  ["-d", "cwd"],
  ["--cwd", "cwd"],
]);

/** The command an argument list asks for, when the fast path can run it exactly as main.ts would. */
export function parseFastCommand(argv: readonly string[]): FastCommand | undefined {
  if (argv.length === 1 && (argv[0] === "-v" || argv[0] === "--version")) return { command: "version" };
  const [name, ...rest] = argv;
  const action = PROCESS_ACTIONS.find((a) => a === name);
  if (action === undefined && name !== "status" && name !== "terminate") return undefined;
  const flags: ConfigFlags & { json?: boolean } = {};
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--json" && name === "status" && flags.json === undefined) {
      flags.json = true;
      continue;
    }
    // `--config PATH`, `--config=PATH`, `-c PATH`, `--cwd DIR`, `--cwd=DIR`, `-d DIR`, each at most once.
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const key = CONFIG_OPTIONS.get(eq > 0 ? arg.slice(0, eq) : arg);
    if (key === undefined || flags[key] !== undefined) return undefined;
    const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
    if (!value || value.startsWith("-")) return undefined;
    flags[key] = value;
  }
  if (action !== undefined) {
    return positionals.length === 1 ? { command: "action", action, id: positionals[0], flags } : undefined;
  }
  if (positionals.length > 0) return undefined;
  return name === "status" ? { command: "status", flags } : { command: "terminate", flags };
}
