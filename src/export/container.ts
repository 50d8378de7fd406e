import path from "node:path";
import type { IIoK8sApiCoreV1Container as Container } from "kubernetes-models/v1/Container";
import type { IIoK8sApiCoreV1EnvVar as EnvVar } from "kubernetes-models/v1/EnvVar";
import type { IIoK8sApiCoreV1PodSpec as PodSpec } from "kubernetes-models/v1/PodSpec";
import { shQuote } from "../common/shell-quote.ts";
import type { ProcessConfig, PupConfig } from "../config/schema.ts";
import { probesOf } from "./probes.ts";

/*
 * The pod of a process: one container running the image with the process's command, working
 * directory, environment, port, probes and memory limit, and the grace period of its stop.
 */

export interface PodOptions {
  image: string;
  /** The configuration's folder inside the image (`--workdir`, an absolute path). */
  workdir: string;
  /** The configuration's folder on this machine: absolute paths under it move under `workdir`. */
  configDir?: string;
}

const posix = path.posix;

/** API servers before 1.32 refuse other variable names. */
const PORTABLE_ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Kubernetes expands `$(NAME)` in a container's command and env values, and reads `$$` as `$`;
 * doubling a `$` before `$` or `(` keeps the text as pup would run it (`$(date)`, `$$`).
 */
const escapeExpansion = (text: string) => text.replace(/\$(?=[$(])/g, "$$$$");

/** A path of the configuration (relative to its folder) as a path in the image. */
function inImage(file: string, options: PodOptions, warn: (message: string) => void, key: string): string {
  if (!path.isAbsolute(file)) return posix.join(options.workdir, file.split(path.sep).join("/"));
  const relative = options.configDir === undefined ? undefined : path.relative(options.configDir, file);
  const outside = relative === undefined || relative === ".." || relative.startsWith(`..${path.sep}`);
  if (!outside && !path.isAbsolute(relative)) {
    return posix.join(options.workdir, relative.split(path.sep).join("/"));
  }
  warn(`${key}: "${file}" is outside the configuration's folder; the image must have it at that path`);
  return file;
}

/**
 * `cmd` under /bin/sh -c, as written (SPEC §8.8). The shell of Debian, Alpine and busybox images
 * execs a lone command itself, so the program still gets the pod's SIGTERM.
 */
function commandOf(p: ProcessConfig, options: PodOptions, warn: (message: string) => void): string[] {
  const pathAdded = [p.env?.PATH, p.path].filter((part) => part !== undefined && part !== "");
  if (p.worker !== undefined) {
    if (pathAdded.length > 0) warn("path: a worker runs node directly; PATH stays the image's");
    const [file, ...args] = p.worker;
    if (/\.[cm]?tsx?$/.test(file)) warn(`worker: node runs "${file}" only if it can load TypeScript`);
    return ["node", inImage(file, options, warn, "worker"), ...args].map(escapeExpansion);
  }
  const cmd = p.cmd ?? "";
  const script = cmd;
  // pup appends env.PATH and path to the inherited PATH; here the image's PATH is the inherited one.
  const prefix = pathAdded.length > 0 ? `export PATH="$PATH":${shQuote(pathAdded.join(":"))}; ` : "";
  return ["/bin/sh", "-c", escapeExpansion(`${prefix}${script}`)];
}

/** The process's `env` in its order (PATH is appended by the command), then pup's own variables. */
function envOf(p: ProcessConfig, warn: (message: string) => void): EnvVar[] {
  const own = Object.entries(p.env ?? {}).filter(([name]) => name !== "PATH");
  for (const [name] of own) {
    if (!PORTABLE_ENV_NAME.test(name))
      warn(`env: Kubernetes before 1.32 refuses the variable name "${name}"`);
  }
  const env: EnvVar[] = own.map(([name, value]) => ({ name, value: escapeExpansion(value) }));
  env.push({ name: "PUP_PROCESS_ID", value: p.id });
  const port = p.cluster?.startPort;
  if (port !== undefined) {
    // Every pod is its own host: each instance listens on startPort, the containerPort.
    env.push({ name: "PUP_CLUSTER_PORT", value: String(port) });
    if (p.env?.PORT === undefined) env.push({ name: "PORT", value: String(port) });
  }
  return env;
}

export function containerOf(
  p: ProcessConfig,
  name: string,
  options: PodOptions,
  warn: (message: string) => void,
): Container {
  const startPort = p.cluster?.startPort;
  const container: Container = {
    name,
    image: options.image,
    command: commandOf(p, options, warn),
    workingDir: p.cwd === undefined ? options.workdir : inImage(p.cwd, options, warn, "cwd"),
    env: envOf(p, warn),
  };
  if (startPort !== undefined) container.ports = [{ containerPort: startPort, protocol: "TCP" }];
  if (p.healthcheck !== undefined) {
    const { readinessProbe, livenessProbe, warnings } = probesOf(p.healthcheck, startPort);
    container.readinessProbe = readinessProbe;
    if (livenessProbe !== undefined) container.livenessProbe = livenessProbe;
    warnings.forEach(warn);
  }
  if (p.maxMemoryMb !== undefined) container.resources = { limits: { memory: `${p.maxMemoryMb}Mi` } };
  return container;
}

/** The pod spec: the container, and time to stop (pup's wait before SIGTERM plus its wait after). */
export function podSpecOf(
  p: ProcessConfig,
  config: PupConfig,
  container: Container,
  restartPolicy: "Always" | "OnFailure" | "Never",
): PodSpec {
  const grace =
    (p.terminateGracePeriod ?? config.terminateGracePeriod) + (p.terminateTimeout ?? config.terminateTimeout);
  return {
    containers: [container],
    restartPolicy,
    terminationGracePeriodSeconds: Math.max(1, Math.ceil(grace)),
  };
}
