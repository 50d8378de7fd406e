import type { ProcessConfig, PupConfig } from "../config/schema.ts";

/*
 * Keys that Kubernetes has no equivalent for (SPEC §8.8): each one present is a warning, so the
 * user knows what the manifests leave out.
 */

const PROCESS_KEYS: ReadonlyArray<[keyof ProcessConfig, string]> = [
  [
    "dependsOn",
    "no start order in Kubernetes; make the process wait for what it needs (or use an init container)",
  ],
  ["watch", "no file watching in Kubernetes; a new image and a rollout replace a restart on change"],
  ["terminate", "no scheduled stop in Kubernetes"],
  ["pidFile", "no pid file in Kubernetes"],
  ["logger", "output goes to the container's log (kubectl logs); log files and their options do not apply"],
];

export function unmappedProcessKeys(p: ProcessConfig): string[] {
  return PROCESS_KEYS.filter(([key]) => p[key] !== undefined).map(([key, why]) => `${key}: ${why}`);
}

export function unmappedConfigKeys(config: PupConfig): string[] {
  const warnings: string[] = [];
  if (config.plugins !== undefined && config.plugins.length > 0) {
    warnings.push("plugins: no equivalent in Kubernetes; they are not exported");
  }
  if (config.logger !== undefined) {
    warnings.push(
      "logger: output goes to the containers' logs (kubectl logs); log files and the log store do not apply",
    );
  }
  return warnings;
}
