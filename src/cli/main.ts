import { Command, CommanderError } from "commander";
import { errorMessage, isUserError } from "../common/errors.ts";
import { VERSION } from "../version.ts";
import { appendCommand, initCommand, removeCommand } from "./commands/config-edit.ts";
import { registerControlCommands } from "./commands/control.ts";
import { registerLogCommands } from "./commands/logs.ts";
import { runCommand } from "./commands/run.ts";
import { registerServiceCommands } from "./commands/service.ts";
import { registerTokenCommand } from "./commands/token.ts";
import { addConfigFlags } from "./config-flags.ts";
import { addProcessFlags } from "./process-flags.ts";

/** Sets the exit code of a command; actions report through it. */
export interface ExitCode {
  code: number;
}

function buildProgram(exit: ExitCode): Command {
  const program = new Command("pup")
    .description("a universal process manager: keeps scripts, applications and services alive")
    .version(VERSION, "-v, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    // Set before the subcommands exist: commander copies these settings into each of them.
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text.startsWith("error: ") ? `pup: ${text.slice(7)}` : text),
    });

  const run = program
    .command("run")
    .description("run the instance in the foreground (until SIGINT, SIGTERM or `pup terminate`)")
    .argument("[command...]", "with `--`: a command to run without a configuration file")
    .passThroughOptions();
  addConfigFlags(run, false);
  addProcessFlags(run).action(async (args: string[], flags) => {
    exit.code = await runCommand(flags, args);
  });

  const init = program
    .command("init")
    .description("create pup.json with one process")
    .option("--name <name>", "instance name");
  init.option("-c, --config <path>", "file to create (default: pup.json)");
  addProcessFlags(init).action((flags) => {
    exit.code = initCommand(flags);
  });

  const append = program.command("append").description("add a process to the configuration");
  append.option("-c, --config <path>", "configuration file (default: pup.jsonc or pup.json)");
  addProcessFlags(append).action((flags) => {
    exit.code = appendCommand(flags);
  });

  addConfigFlags(
    program
      .command("remove")
      .description("remove a process from the configuration")
      .requiredOption("-I, --id <id>", "process id"),
  ).action((flags) => {
    exit.code = removeCommand(flags);
  });

  registerControlCommands(program, exit);
  registerLogCommands(program, exit);
  registerTokenCommand(program, exit);
  registerServiceCommands(program, exit);
  return program;
}

/** Runs the CLI; returns the exit code. User errors become one line on stderr, never a stack. */
export async function main(argv: string[]): Promise<number> {
  const exit: ExitCode = { code: 0 };
  const program = buildProgram(exit);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return exit.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 1;
    }
    if (isUserError(err)) {
      process.stderr.write(`pup: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`pup: unexpected error: ${err instanceof Error ? err.stack : errorMessage(err)}\n`);
    return 1;
  }
}
