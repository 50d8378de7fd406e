import { type Command, Option } from "commander";
import {
  describePlan,
  installService,
  planService,
  type ServiceRequest,
  uninstallService,
} from "../../service/install.ts";
import { SERVICE_MANAGERS } from "../../service/templates.ts";
import { addConfigFlags, type ConfigFlags, loadFromFlags } from "../config-flags.ts";
import type { ExitCode } from "../main.ts";

type ServiceFlags = ConfigFlags & Omit<ServiceRequest, "configPath" | "config"> & { dryRun?: boolean };

function plan(flags: ServiceFlags) {
  const loaded = loadFromFlags(flags);
  return planService({ ...flags, configPath: loaded.path, config: loaded.config });
}

/** `enable-service` / `disable-service`: install the instance as a boot service. */
export function registerServiceCommands(program: Command, exit: ExitCode): void {
  const managerOption = () =>
    new Option("--manager <manager>", "service manager (default: the one this OS uses)").choices(
      SERVICE_MANAGERS,
    );
  addConfigFlags(program.command("enable-service").description("install the instance as a boot service"))
    .option("--system", "system-wide service (default: the user's)")
    .option("--name <name>", "service name (default: the instance name, or pup)")
    .option("--user <user>", "user to run as")
    .option("--home <dir>", "home folder of that user")
    .option("--env <KEY=VALUE...>", "environment of the service (repeatable)")
    .addOption(managerOption())
    .option("--dry-run", "print the file and where it would go; change nothing")
    .action((flags: ServiceFlags) => {
      const { file } = plan(flags);
      process.stdout.write(
        flags.dryRun ? describePlan(file, "enable") : `${installService(file, !!flags.system)}\n`,
      );
      exit.code = 0;
    });
  addConfigFlags(program.command("disable-service").description("uninstall the boot service"))
    .option("--system", "the system-wide service")
    .option("--name <name>", "service name (default: the instance name, or pup)")
    .option("--home <dir>", "home folder of the user the service belongs to")
    .addOption(managerOption())
    .option("--dry-run", "print what would be removed; change nothing")
    .action((flags: ServiceFlags) => {
      const { file } = plan(flags);
      process.stdout.write(
        flags.dryRun ? describePlan(file, "disable") : `${uninstallService(file, !!flags.system)}\n`,
      );
      exit.code = 0;
    });
}
