import type { ProcessConfig } from "../config/schema.ts";
import { effectiveRestart } from "../core/policy.ts";
import { cronSchedule } from "./schedule.ts";

/*
 * Which Kubernetes workload runs a process (SPEC §8.8): a pure decision from its start and
 * restart policy, with the warnings where the two engines differ.
 */

/** Kubernetes' own default of a Job's `backoffLimit`, also used when `restartLimit` is not set. */
const DEFAULT_BACKOFF_LIMIT = 6;

export interface JobRun {
  /** OnFailure when pup would restart the run after a failure, else Never. */
  restartPolicy: "OnFailure" | "Never";
  backoffLimit: number;
  /** `cluster.instances`: that many pods run at once, each to completion. */
  instances: number;
}

export type Plan =
  | { kind: "Deployment"; replicas: number }
  | { kind: "Job"; run: JobRun }
  | { kind: "CronJob"; run: JobRun; schedule: string; concurrencyPolicy: "Allow" | "Forbid" };

export function planOf(p: ProcessConfig): Plan {
  const restart = effectiveRestart(p);
  const instances = p.cluster?.instances ?? 1;
  const retried = (): JobRun => ({
    restartPolicy: "OnFailure",
    backoffLimit: p.restartLimit ?? DEFAULT_BACKOFF_LIMIT,
    instances,
  });
  if (p.cron !== undefined) {
    return {
      kind: "CronJob",
      schedule: cronSchedule(p.id, p.cron),
      concurrencyPolicy: p.overrun ? "Allow" : "Forbid",
      // A scheduled run that fails is not run again by pup unless a restart policy says so.
      run: restart === undefined ? { restartPolicy: "Never", backoffLimit: 0, instances } : retried(),
    };
  }
  if (p.autostart && restart === "error") return { kind: "Job", run: retried() };
  const started = p.autostart || (p.watch !== undefined && p.watch.length > 0);
  return { kind: "Deployment", replicas: started ? instances : 0 };
}

/** Where the workload behaves differently from pup's start and restart policy. */
export function planWarnings(p: ProcessConfig, plan: Plan, name: string): string[] {
  const restart = effectiveRestart(p);
  const warnings: string[] = [];
  if (plan.kind === "CronJob") {
    if (p.autostart) {
      warnings.push(
        `autostart: a CronJob runs on its schedule only; for a first run: kubectl create job --from=cronjob/${name} ${name}-first`,
      );
    }
    if (restart === "always")
      warnings.push(`restart "always": a CronJob's run is repeated only after a failure`);
  }
  if (plan.kind === "Deployment") {
    const anyExit = restart === "always" ? "" : "; its pods restart after any exit";
    if (plan.replicas === 0) {
      warnings.push(
        `started by hand: Deployment "${name}" has 0 replicas (start it: kubectl scale deployment/${name} --replicas=${p.cluster?.instances ?? 1})${anyExit}`,
      );
    } else if (anyExit) {
      warnings.push(`restart "${restart}": a Deployment's pods restart after any exit`);
    }
    if (p.restartLimit !== undefined)
      warnings.push("restartLimit: a Deployment's pods restart without limit");
    if (p.timeout !== undefined) warnings.push("timeout: a Deployment's pods run without a time limit");
  }
  const restarts = plan.kind === "Deployment" || plan.run.restartPolicy === "OnFailure";
  // pup's default delay is the kubelet's first back-off: only other settings differ.
  const delays =
    p.restartDelayMs !== 10_000 || p.restartBackoffMaxMs !== undefined || p.restartResetMs !== undefined;
  if (restarts && delays) {
    warnings.push(
      "restart delays: Kubernetes waits 10 s before a restart, doubling up to 5 min (restartDelayMs, restartBackoffMaxMs, restartResetMs do not apply)",
    );
  }
  return warnings;
}
