/**
 * How a `cmd` string is run. Without shell syntax it is split into argv (quotes and backslashes
 * honoured) and spawned directly, so the pid is the program's own; with shell syntax it runs
 * under `/bin/sh -c`.
 */
export type ParsedCommand =
  | { kind: "argv"; file: string; args: string[] }
  | { kind: "shell"; script: string };

// Characters that only a shell can interpret: operators, expansions, globs, comments, redirects.
const SHELL_SYNTAX = /[|&;<>()$`*?[\]{}~#!\n]|^\s*[A-Za-z_][A-Za-z0-9_]*=/;

/** Split on whitespace, honouring '…', "…" and backslash escapes. Returns undefined when unbalanced. */
export function splitArgv(cmd: string): string[] | undefined {
  const args: string[] = [];
  let current = "";
  let inArg = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < cmd.length && '"\\'.includes(cmd[i + 1]))
        current += cmd[++i];
      else current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inArg = true;
    } else if (ch === "\\" && i + 1 < cmd.length) {
      current += cmd[++i];
      inArg = true;
    } else if (/\s/.test(ch)) {
      if (inArg) args.push(current);
      current = "";
      inArg = false;
    } else {
      current += ch;
      inArg = true;
    }
  }
  if (quote) return undefined;
  if (inArg) args.push(current);
  return args;
}

/** Shell syntax outside quotes decides; quoted text is taken literally. */
function hasShellSyntax(cmd: string): boolean {
  const unquoted = cmd.replace(/'[^']*'/g, "''").replace(/"(?:[^"\\$`]|\\.)*"/g, '""');
  return SHELL_SYNTAX.test(unquoted);
}

export function parseCommand(cmd: string): ParsedCommand {
  if (!hasShellSyntax(cmd)) {
    const argv = splitArgv(cmd.trim());
    if (argv && argv.length > 0) return { kind: "argv", file: argv[0], args: argv.slice(1) };
  }
  return { kind: "shell", script: cmd };
}
