import type { IIoK8sApiCoreV1Probe as Probe } from "kubernetes-models/v1/Probe";
import type { HealthcheckConfig } from "../config/schema.ts";

/*
 * A pup healthcheck as Kubernetes probes. The kubelet probes the pod's own address, so a check
 * aimed at another host cannot be carried over as it is: its port and path are kept, and a
 * warning says so.
 */

export interface Probes {
  readinessProbe: Probe;
  /** Absent with `restart: false`: pup then reports the process unhealthy but does not restart it. */
  livenessProbe?: Probe;
  warnings: string[];
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1|0\.0\.0\.0|\[::\])$/i;

const seconds = (ms: number) => Math.ceil(ms / 1000);

/** `startPort` stands for `{port}`: in a pod every instance listens on the same port. */
export function probesOf(check: HealthcheckConfig, startPort: number | undefined): Probes {
  const warnings: string[] = [];
  const aimedAt = (host: string) => {
    if (!LOOPBACK.test(host)) {
      warnings.push(`healthcheck: probes reach the pod's own address, not "${host}"`);
    }
  };
  const withPort = (target: string) => target.replaceAll("{port}", String(startPort));
  let action: Probe;
  if (check.http !== undefined) {
    const url = new URL(withPort(check.http));
    aimedAt(url.hostname);
    const https = url.protocol === "https:";
    action = {
      httpGet: {
        path: `${url.pathname}${url.search}`,
        port: url.port === "" ? (https ? 443 : 80) : Number(url.port),
        scheme: https ? "HTTPS" : "HTTP",
      },
    };
  } else if (check.tcp !== undefined) {
    const target = withPort(check.tcp);
    const colon = target.lastIndexOf(":");
    aimedAt(target.slice(0, colon));
    action = { tcpSocket: { port: Number(target.slice(colon + 1)) } };
  } else {
    action = { exec: { command: ["/bin/sh", "-c", check.cmd ?? ""] } };
  }
  const probe: Probe = {
    ...action,
    periodSeconds: seconds(check.intervalMs),
    timeoutSeconds: seconds(check.timeoutMs),
    failureThreshold: check.retries,
    initialDelaySeconds: seconds(check.startPeriodMs),
  };
  return {
    readinessProbe: probe,
    livenessProbe: check.restart ? { ...probe } : undefined,
    warnings,
  };
}
