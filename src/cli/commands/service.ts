import {
  describePlan,
  installService,
  planService,
  type ServiceRequest,
  uninstallService,
} from "../../service/install.ts";
import type { ConfigFlags } from "../config-flags.ts";
import { loadFromFlags } from "../load-config.ts";

export type ServiceFlags = ConfigFlags & Omit<ServiceRequest, "configPath" | "config"> & { dryRun?: boolean };

function plan(flags: ServiceFlags) {
  const loaded = loadFromFlags(flags);
  return planService({ ...flags, configPath: loaded.path, config: loaded.config });
}

/** `enable-service`: write the boot service's file and enable it (or, with --dry-run, show it). */
export function enableServiceCommand(flags: ServiceFlags): number {
  const { file } = plan(flags);
  process.stdout.write(flags.dryRun ? describePlan(file, "enable") : `${installService(file)}\n`);
  return 0;
}

/** `disable-service`: stop and remove the boot service. */
export function disableServiceCommand(flags: ServiceFlags): number {
  const { file } = plan(flags);
  process.stdout.write(flags.dryRun ? describePlan(file, "disable") : `${uninstallService(file)}\n`);
  return 0;
}
