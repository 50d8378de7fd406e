import { UserError } from "../common/errors.ts";
import { type Identified, idsOf } from "../config/identity.ts";
import { fileLabel } from "../config/locate.ts";
import { isCommandLineInstance } from "../instance/command-line.ts";
import { parseLeniently } from "./control-config.ts";

/** The ids a configuration file names (processes and cluster instances), lower-cased; none without a file. */
async function configuredIds(configPath: string): Promise<Set<string>> {
  const raw = (await parseLeniently(configPath)) as { processes?: unknown } | undefined;
  if (!Array.isArray(raw?.processes)) return new Set();
  const processes: Identified[] = [];
  for (const p of raw.processes as Array<{ id?: unknown; cluster?: { instances?: unknown } } | null>) {
    if (typeof p?.id !== "string") continue;
    const instances = p.cluster?.instances;
    processes.push({
      id: p.id,
      cluster: p.cluster && { instances: typeof instances === "number" ? instances : 1 },
    });
  }
  return new Set(idsOf(processes).keys());
}

/**
 * `--id` of a command that reads logs must name something: a process of the configuration (or a
 * cluster instance), the instance itself (`core`), or a process that left entries in the store
 * (one since removed from the file). Anything else is a typo, refused rather than answered with
 * nothing.
 */
export async function refuseUnknownProcessId(
  configPath: string,
  id: string,
  hasEntries: (id: string) => boolean,
): Promise<void> {
  if (id === "core" || hasEntries(id)) return;
  if ((await configuredIds(configPath)).has(id.toLowerCase())) return;
  const where = isCommandLineInstance(configPath) ? "" : `not in ${fileLabel(configPath)}, and `;
  throw new UserError(`unknown process "${id}" (${where}nothing logged for it)`, 404);
}
