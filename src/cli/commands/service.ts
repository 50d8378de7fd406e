import type { Command } from "commander";
import { addConfigFlags } from "../config-flags.ts";
import type { ExitCode } from "../main.ts";
import { notYet } from "./not-yet.ts";

/** `enable-service` / `disable-service`: install the instance as a boot service. */
export function registerServiceCommands(program: Command, _exit: ExitCode): void {
  addConfigFlags(program.command("enable-service").description("install the instance as a boot service"))
    .option("--system", "system-wide service (default: the user's)")
    .option("--name <name>", "service name (default: the instance name, or pup)")
    .option("--user <user>", "user to run as")
    .option("--home <dir>", "home folder of that user")
    .option("--env <KEY=VALUE...>", "environment of the service")
    .option("--manager <manager>", "systemd, launchd, sysvinit, upstart or windows")
    .option("--dry-run", "print the file and where it would go; change nothing")
    .action(() => notYet("enable-service"));
  addConfigFlags(program.command("disable-service").description("uninstall the boot service"))
    .option("--system", "the system-wide service")
    .option("--name <name>", "service name")
    .action(() => notYet("disable-service"));
}
