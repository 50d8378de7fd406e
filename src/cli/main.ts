import { Command, CommanderError, Option } from "commander";
import { SCOPES } from "../api/scopes.ts";
import { PROCESS_ACTIONS } from "../client/client.ts";
import { SERVICE_MANAGERS } from "../service/managers.ts";
import { VERSION } from "../version.ts";
import { registerLogCommands } from "./commands/logs.ts";
import { addConfigFlags } from "./config-flags.ts";
import { addProcessFlags } from "./process-flags.ts";
import { reportError } from "./report-error.ts";

/** Sets the exit code of a command; actions report through it. */
export interface ExitCode {
  code: number;
}

type Action = (...args: never[]) => number | Promise<number>;

/**
 * The command table. Each command's code is imported only when that command runs, so that
 * `pup status` does not pay for loading the supervisor, and `pup run` not for the CLI's tables.
 */
export function buildProgram(exit: ExitCode): Command {
  const lazy =
    <A extends Action>(load: () => Promise<A>) =>
    async (...args: Parameters<A>) => {
      exit.code = await (await load())(...args);
    };

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
  // One meaning of --cwd for every command: the folder the instance works in.
  addProcessFlags(
    run,
    "folder to work in: where the configuration is looked for, or, without one, where the command runs and where `pup status --cwd DIR` finds it (default: the current folder)",
  ).action(
    lazy(async () => {
      const { runCommand } = await import("./commands/run.ts");
      return (args: string[], flags: Parameters<typeof runCommand>[0]) => runCommand(flags, args);
    }),
  );

  const editing = () => import("./commands/config-edit.ts");
  const init = program
    .command("init")
    .description("create pup.json with one process")
    .option("--name <name>", "instance name")
    .option("-c, --config <path>", "file to create (default: pup.json)");
  addProcessFlags(init).action(lazy(async () => (await editing()).initCommand));
  const append = program
    .command("append")
    .description("add a process to the configuration")
    .option("-c, --config <path>", "configuration file (default: pup.jsonc or pup.json)");
  addProcessFlags(append).action(lazy(async () => (await editing()).appendCommand));
  addConfigFlags(
    program
      .command("remove")
      .description("remove a process from the configuration")
      .requiredOption("-I, --id <id>", "process id"),
  ).action(lazy(async () => (await editing()).removeCommand));

  const control = () => import("./commands/control.ts");
  addConfigFlags(program.command("status").description("show the instance and its processes"))
    .option("--json", "print the state object of GET /state")
    .action(lazy(async () => (await control()).statusCommand));
  for (const action of PROCESS_ACTIONS) {
    addConfigFlags(
      program
        .command(action)
        .description(`${action} a process (or all) of the running instance`)
        .argument("<id>", 'process id, cluster id, or "all"'),
    ).action(
      lazy(async () => {
        const { actionCommand } = await control();
        return (id: string, flags: Parameters<typeof actionCommand>[2]) => actionCommand(action, id, flags);
      }),
    );
  }
  addConfigFlags(
    program
      .command("reload")
      .description("re-read the configuration and apply what changed, without touching the rest"),
  )
    .option("--json", "print the difference as JSON")
    .option("--dry-run", "only validate and print the difference")
    .action(lazy(async () => (await control()).reloadCommand));
  addConfigFlags(program.command("terminate").description("stop every process and end the instance")).action(
    lazy(async () => (await control()).terminateCommand),
  );

  registerLogCommands(program, exit);

  addConfigFlags(program.command("token").description("print a new API token (the JWT alone on stdout)"))
    .option("--consumer <name>", "who the token is for")
    .option("--expire-in <seconds>", "lifetime in seconds (default 30 days)")
    .option("--scope <list>", `comma-separated scopes: ${SCOPES.join(",")} (default: all)`)
    .action(lazy(async () => (await import("./commands/token.ts")).tokenCommand));

  addConfigFlags(program.command("dashboard").description("print the web dashboard's address, with a token"))
    .option("--expire-in <seconds>", "lifetime of the token in the address (default 12 hours)")
    .action(lazy(async () => (await import("./commands/dashboard.ts")).dashboardCommand));

  const service = () => import("./commands/service.ts");
  const manager = () =>
    new Option("--manager <manager>", "service manager (default: the one this OS uses)").choices(
      SERVICE_MANAGERS,
    );
  addConfigFlags(program.command("enable-service").description("install the instance as a boot service"))
    .option("--system", "system-wide service (the default for root)")
    .option("--no-system", "the user's own service (the default for other users)")
    .option("--name <name>", "service name (default: the instance name, or pup)")
    .option("--user <user>", "user to run as")
    .option("--home <dir>", "home folder of that user")
    .option("--env <KEY=VALUE...>", "environment of the service (repeatable)")
    .addOption(manager())
    .option("--dry-run", "print the file and where it would go; change nothing")
    .action(lazy(async () => (await service()).enableServiceCommand));
  addConfigFlags(program.command("disable-service").description("uninstall the boot service"))
    .option("--system", "the system-wide service (the default for root)")
    .option("--no-system", "the user's own service (the default for other users)")
    .option("--name <name>", "service name (default: the instance name, or pup)")
    .option("--home <dir>", "home folder of the user the service belongs to")
    .addOption(manager())
    .option("--dry-run", "print what would be removed; change nothing")
    .action(lazy(async () => (await service()).disableServiceCommand));

  addConfigFlags(
    program
      .command("export")
      .description("print the configuration for another engine")
      .command("kubernetes")
      .description("print Kubernetes manifests (Deployments, Jobs, CronJobs, Services) on stdout"),
    false,
  )
    .requiredOption("--image <image>", "container image with the application and its runtime (required)")
    .option("--namespace <namespace>", "namespace of every object")
    .option("--workdir <dir>", "the configuration's folder inside the image (default: /app)")
    .action(lazy(async () => (await import("./commands/export.ts")).exportKubernetesCommand));
  return program;
}

/**
 * Runs the CLI with commander; returns the exit code. User errors become one line on stderr, never
 * a stack. (bin/pup.js enters through entry.ts, which runs the control commands without this.)
 */
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
    return reportError(err);
  }
}
