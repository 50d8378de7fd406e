import { stringify } from "yaml";
import { toKubernetes } from "../../export/kubernetes.ts";
import type { ConfigFlags } from "../config-flags.ts";
import { loadFromFlags } from "../load-config.ts";

/* `pup export kubernetes`: the configuration as Kubernetes manifests on stdout (SPEC §8.8). */

export interface ExportKubernetesFlags extends ConfigFlags {
  image?: string;
  namespace?: string;
  workdir?: string;
}

export async function exportKubernetesCommand(flags: ExportKubernetesFlags): Promise<number> {
  const loaded = loadFromFlags(flags);
  const { manifests, warnings } = toKubernetes(loaded.config, {
    image: flags.image ?? "",
    namespace: flags.namespace,
    workdir: flags.workdir,
    configDir: loaded.dir,
    // pup runs crons in its machine's local time; the CronJobs keep that zone.
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  });
  // Everything is built and validated before the first line is written: all or nothing on stdout.
  const documents = manifests.map((manifest) => stringify(manifest.toJSON(), { lineWidth: 0 }));
  for (const warning of warnings) process.stderr.write(`pup: warning: ${warning}\n`);
  process.stdout.write(documents.join("---\n"));
  return 0;
}
