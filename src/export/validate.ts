import { errorMessage } from "../common/errors.ts";
import { CRONJOB_NAME_MAX, DNS_1035_LABEL, DNS_1123_LABEL, LABEL_VALUE } from "./names.ts";

/**
 * The last check before a manifest is printed: Kubernetes' OpenAPI schema (kubernetes-models'
 * `validate()`), then the naming rules that the schema does not carry. A manifest that fails is a
 * bug of the export, never the user's: it is thrown with what failed, never printed.
 */

interface Checkable {
  kind: string;
  metadata?: { name?: string; namespace?: string };
  validate(): void;
  toJSON(): unknown;
}

/** Every map of labels in an object: `labels` and `matchLabels`, at any depth. */
function labelMaps(value: unknown, key = "", found: Array<Record<string, unknown>> = []) {
  if (value === null || typeof value !== "object") return found;
  if (key === "labels" || key === "matchLabels") {
    found.push(value as Record<string, unknown>);
  }
  for (const [k, v] of Object.entries(value)) labelMaps(v, k, found);
  return found;
}

function namingProblems(manifest: Checkable): string[] {
  const problems: string[] = [];
  const name = manifest.metadata?.name ?? "";
  const rule = manifest.kind === "Service" ? DNS_1035_LABEL : DNS_1123_LABEL;
  if (!rule.test(name) || (manifest.kind === "CronJob" && name.length > CRONJOB_NAME_MAX)) {
    problems.push(`metadata.name "${name}" is not a valid ${manifest.kind} name`);
  }
  const namespace = manifest.metadata?.namespace;
  if (namespace !== undefined && !DNS_1123_LABEL.test(namespace)) {
    problems.push(`metadata.namespace "${namespace}" is not a DNS-1123 label`);
  }
  const json = manifest.toJSON() as { spec?: { selector?: Record<string, unknown> } };
  const maps = labelMaps(json);
  // A Service selects pods by a plain map of labels.
  if (manifest.kind === "Service" && json.spec?.selector !== undefined) maps.push(json.spec.selector);
  for (const map of maps) {
    for (const [label, value] of Object.entries(map)) {
      if (typeof value !== "string" || !LABEL_VALUE.test(value) || value.length > 63) {
        problems.push(`label ${label}: "${String(value)}" is not a valid label value`);
      }
    }
  }
  return problems;
}

export function validateManifest(manifest: Checkable): void {
  const problems: string[] = [];
  try {
    manifest.validate();
  } catch (err) {
    problems.push(errorMessage(err));
  }
  problems.push(...namingProblems(manifest));
  if (problems.length > 0) {
    const name = manifest.metadata?.name ?? "?";
    throw new Error(
      `${manifest.kind} "${name}" does not validate (a bug in pup's export): ${problems.join("; ")}`,
    );
  }
}
