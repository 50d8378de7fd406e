import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import type { IIoK8sApiBatchV1JobSpec as JobSpec } from "kubernetes-models/batch/v1/JobSpec";
import type { IIoK8sApiCoreV1PodTemplateSpec as PodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { Service } from "kubernetes-models/v1/Service";
import type { ProcessConfig, PupConfig } from "../config/schema.ts";
import { containerOf, type PodOptions, podSpecOf } from "./container.ts";
import { ExportError } from "./errors.ts";
import { DNS_1123_LABEL, labelValue, objectNames, serviceName } from "./names.ts";
import { unmappedConfigKeys, unmappedProcessKeys } from "./unmapped.ts";
import { validateManifest } from "./validate.ts";
import { type JobRun, planOf, planWarnings } from "./workload.ts";

/**
 * `pup export kubernetes` without the I/O (SPEC §8.8): a validated configuration in, the
 * Kubernetes objects that run the same services out, each checked against Kubernetes' schema,
 * with a warning for everything that Kubernetes has no equivalent for.
 */

export type Manifest = Deployment | Job | CronJob | Service;

export interface KubernetesOptions {
  /** The container image every process runs in: it holds the application and its runtime. */
  image: string;
  namespace?: string;
  /** The configuration's folder inside the image (default /app). */
  workdir?: string;
  /** The configuration's folder on this machine (absolute `cwd` and worker paths under it move). */
  configDir?: string;
  /** IANA time zone of the crons (pup runs them in the local time of its machine). */
  timeZone?: string;
}

export interface KubernetesExport {
  manifests: Manifest[];
  /** One line each, naming the process or key they are about. */
  warnings: string[];
}

export const DEFAULT_WORKDIR = "/app";

const LABEL = {
  name: "app.kubernetes.io/name",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
} as const;

interface Context {
  config: PupConfig;
  pod: PodOptions;
  namespace?: string;
  timeZone?: string;
  partOf: string;
}

export function toKubernetes(config: PupConfig, options: KubernetesOptions): KubernetesExport {
  const context: Context = {
    config,
    pod: { image: imageOf(options.image), workdir: workdirOf(options.workdir), configDir: options.configDir },
    namespace: namespaceOf(options.namespace),
    timeZone: options.timeZone,
    partOf: labelValue(config.name),
  };
  const names = objectNames(config.processes);
  const warnings = unmappedConfigKeys(config);
  const manifests = config.processes.flatMap((p, i) => {
    const warn = (message: string) => warnings.push(`process "${p.id}": ${message}`);
    return manifestsOf(p, names[i], context, warn);
  });
  manifests.forEach(validateManifest);
  return { manifests, warnings };
}

function manifestsOf(
  p: ProcessConfig,
  name: string,
  context: Context,
  warn: (m: string) => void,
): Manifest[] {
  const plan = planOf(p);
  planWarnings(p, plan, name).forEach(warn);
  unmappedProcessKeys(p).forEach(warn);
  const labels = {
    [LABEL.name]: name,
    [LABEL.partOf]: context.partOf,
    [LABEL.managedBy]: "pup",
  };
  const metadata = { name, namespace: context.namespace, labels };
  const container = containerOf(p, name, context.pod, warn);
  const template = (restartPolicy: "Always" | "OnFailure" | "Never"): PodTemplateSpec => ({
    metadata: { labels },
    spec: podSpecOf(p, context.config, container, restartPolicy),
  });
  const selector = { [LABEL.name]: name };
  let workload: Manifest;
  if (plan.kind === "Deployment") {
    workload = new Deployment({
      metadata,
      spec: { replicas: plan.replicas, selector: { matchLabels: selector }, template: template("Always") },
    });
  } else if (plan.kind === "Job") {
    workload = new Job({ metadata, spec: jobSpecOf(plan.run, template, p.timeout) });
  } else {
    workload = new CronJob({
      metadata,
      spec: {
        schedule: plan.schedule,
        timeZone: context.timeZone,
        concurrencyPolicy: plan.concurrencyPolicy,
        jobTemplate: { metadata: { labels }, spec: jobSpecOf(plan.run, template, p.timeout) },
      },
    });
  }
  const service = serviceOf(p, { ...metadata, name: serviceName(name) }, selector, warn);
  return service === undefined ? [workload] : [workload, service];
}

function jobSpecOf(
  run: JobRun,
  template: (restartPolicy: JobRun["restartPolicy"]) => PodTemplateSpec,
  timeout: number | undefined,
): JobSpec {
  const instances = run.instances > 1 ? run.instances : undefined;
  return {
    backoffLimit: run.backoffLimit,
    parallelism: instances,
    completions: instances,
    // pup stops a run that takes longer than `timeout`; a Job ends its pods and fails.
    activeDeadlineSeconds: timeout === undefined ? undefined : Math.ceil(timeout),
    template: template(run.restartPolicy),
  };
}

/** The load balancer of a cluster with `commonPort`: a Service in front of the pods. */
function serviceOf(
  p: ProcessConfig,
  metadata: { name: string; namespace?: string; labels: Record<string, string> },
  selector: Record<string, string>,
  warn: (m: string) => void,
): Service | undefined {
  const cluster = p.cluster;
  if (cluster?.commonPort === undefined || cluster.startPort === undefined) return undefined;
  if (metadata.name !== metadata.labels[LABEL.name]) {
    warn(`its Service is named "${metadata.name}" (a Service's name must start with a letter)`);
  }
  if (cluster.strategy === "least-connections") {
    warn("cluster.strategy least-connections: a Service spreads connections by kube-proxy's rule instead");
  }
  return new Service({
    metadata,
    spec: {
      selector,
      ports: [{ port: cluster.commonPort, targetPort: cluster.startPort, protocol: "TCP" }],
      sessionAffinity: cluster.strategy === "ip-hash" ? "ClientIP" : undefined,
    },
  });
}

function imageOf(image: string | undefined): string {
  const trimmed = image?.trim() ?? "";
  if (trimmed === "" || /\s/.test(trimmed)) {
    throw new ExportError(
      `--image: expected the container image that holds the application (like my-app:1.0), got "${image ?? ""}"`,
    );
  }
  return trimmed;
}

function namespaceOf(namespace: string | undefined): string | undefined {
  if (namespace !== undefined && !DNS_1123_LABEL.test(namespace)) {
    throw new ExportError(
      `--namespace: expected a DNS-1123 label (a-z, 0-9 and -, at most 63, starting and ending alphanumeric), got "${namespace}"`,
    );
  }
  return namespace;
}

function workdirOf(workdir: string | undefined): string {
  if (workdir === undefined) return DEFAULT_WORKDIR;
  if (!workdir.startsWith("/")) {
    throw new ExportError(`--workdir: expected an absolute path in the image, got "${workdir}"`);
  }
  return workdir;
}
