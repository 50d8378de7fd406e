import { ExportError } from "./errors.ts";

/**
 * Kubernetes' naming rules, and how pup's ids and instance name are made to follow them. The
 * rules are Kubernetes' own (k8s.io/apimachinery/pkg/util/validation): the schemas that
 * kubernetes-models validates against do not carry them, so the export checks them here.
 */

/** DNS-1123 label: names of Deployments, Jobs, CronJobs, containers and namespaces. */
export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** DNS-1035 label: names of Services (they must start with a letter). */
export const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A label value: at most 63 of A-Z a-z 0-9 . _ -, starting and ending alphanumeric (or empty). */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/**
 * A CronJob's name is at most 52 characters: its Jobs are named after it with an 11-character
 * suffix, and a Job's name must fit a label value.
 */
export const CRONJOB_NAME_MAX = 52;
const LABEL_MAX = 63;

const trimDashes = (text: string) => text.replace(/^-+|-+$/g, "");

/** `Api_Server.v2` → `api-server-v2`: lower case, every run of other characters one dash. */
function dnsLabel(id: string, max = LABEL_MAX): string {
  return trimDashes(trimDashes(id.toLowerCase().replace(/[^a-z0-9]+/g, "-")).slice(0, max));
}

/** The value of `app.kubernetes.io/part-of`: the instance name where it is a valid value, else cleaned. */
export function labelValue(name: string | undefined, fallback = "pup"): string {
  if (name === undefined) return fallback;
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, LABEL_MAX)
    .replace(/[^A-Za-z0-9]+$/, "");
  return cleaned === "" ? fallback : cleaned;
}

/** A Service's name: the workload's, behind `svc-` when that starts with a digit (DNS-1035). */
export function serviceName(workloadName: string): string {
  return DNS_1035_LABEL.test(workloadName) ? workloadName : dnsLabel(`svc-${workloadName}`);
}

/**
 * The object name of every process, in order. Two ids that become the same name (`a_b` and
 * `a.b`, or long ids that differ only past the length limit) are refused: a renamed object would
 * surprise whoever types `kubectl logs deploy/a-b`, and the labels that select pods must differ.
 */
export function objectNames(processes: ReadonlyArray<{ id: string; cron?: string }>): string[] {
  const owners = new Map<string, string>();
  return processes.map(({ id, cron }) => {
    const name = dnsLabel(id, cron === undefined ? LABEL_MAX : CRONJOB_NAME_MAX);
    if (name === "") {
      throw new ExportError(`process "${id}": its id has no letter or digit to name a Kubernetes object by`);
    }
    const owner = owners.get(name);
    if (owner !== undefined) {
      throw new ExportError(
        `processes "${owner}" and "${id}" would both be named "${name}" in Kubernetes; rename one of them`,
      );
    }
    owners.set(name, id);
    return name;
  });
}
