/**
 * How a `cmd` string is run. Without shell syntax, and not beginning with a shell keyword or
 * builtin, it is split into argv (quotes and backslashes honoured) and spawned directly, so the
 * pid is the program's own; otherwise it runs under `/bin/sh -c`.
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

/**
 * Words that mean something only to a shell: keywords and builtins with no program of that name
 * (`exec node app.js`, `cd dist && …`, `. ./env.sh`, `ulimit -n 4096; …`). A command that begins
 * with one runs under `/bin/sh -c`; spawned directly it would fail with ENOENT.
 */
const SHELL_WORDS = new Set(
  [
    // keywords
    "! { } [[ ]] case coproc do done elif else esac fi for function if in select then time until while",
    // special and regular builtins (POSIX, and those of bash that scripts use)
    ". : alias bg break builtin cd command continue declare eval exec exit export fc fg getopts hash",
    "jobs let local read readonly return set shift source times trap type typeset ulimit umask unalias",
    "unset wait",
  ]
    .join(" ")
    .split(" "),
);

/** Shell syntax outside quotes decides; quoted text is taken literally. */
function hasShellSyntax(cmd: string): boolean {
  const unquoted = cmd.replace(/'[^']*'/g, "''").replace(/"(?:[^"\\$`]|\\.)*"/g, '""');
  return SHELL_SYNTAX.test(unquoted);
}

export function parseCommand(cmd: string): ParsedCommand {
  if (!hasShellSyntax(cmd)) {
    const argv = splitArgv(cmd.trim());
    if (argv && argv.length > 0 && !SHELL_WORDS.has(argv[0])) {
      return { kind: "argv", file: argv[0], args: argv.slice(1) };
    }
  }
  return { kind: "shell", script: cmd };
}
