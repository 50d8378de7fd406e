import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UserError } from "../common/errors.ts";
import { PACKAGE_ROOT } from "../common/package-root.ts";
import type { PupConfig } from "../config/schema.ts";
import { detectManager } from "./detect.ts";
import {
  SERVICE_MANAGERS,
  type ServiceFacts,
  type ServiceFile,
  type ServiceManager,
  serviceFile,
} from "./templates.ts";

export interface ServiceRequest {
  configPath: string;
  config: PupConfig;
  system?: boolean;
  name?: string;
  user?: string;
  home?: string;
  /** KEY=VALUE pairs. */
  env?: string[];
  manager?: string;
}

const PUP_BIN = path.join(PACKAGE_ROOT, "bin", "pup.js");
const NAME = /^[a-zA-Z0-9@._-]{1,64}$/;

function parseManager(value: string | undefined): ServiceManager {
  if (value === undefined) return detectManager();
  if (!(SERVICE_MANAGERS as readonly string[]).includes(value)) {
    throw new UserError(`--manager: expected one of ${SERVICE_MANAGERS.join(", ")}, got "${value}"`);
  }
  return value as ServiceManager;
}

function parseEnv(pairs: string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UserError(`--env: expected KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** The service file for a request, and the manager it is for. */
export function planService(request: ServiceRequest): { manager: ServiceManager; file: ServiceFile } {
  const manager = parseManager(request.manager);
  const name = request.name ?? request.config.name ?? "pup";
  if (!NAME.test(name))
    throw new UserError(`--name: expected 1 to 64 characters from a-z A-Z 0-9 @ . _ -, got "${name}"`);
  const user = request.user ?? os.userInfo().username;
  const home =
    request.home ??
    (request.user && request.user !== os.userInfo().username ? `/home/${request.user}` : os.homedir());
  const longestStop = Math.max(
    0,
    ...request.config.processes.map(
      (p) =>
        (p.terminateGracePeriod ?? request.config.terminateGracePeriod) +
        (p.terminateTimeout ?? request.config.terminateTimeout),
    ),
  );
  const facts: ServiceFacts = {
    name,
    system: request.system ?? false,
    user,
    home,
    nodePath: process.execPath,
    pupBin: PUP_BIN,
    configPath: request.configPath,
    workingDirectory: path.dirname(request.configPath),
    // The service manager starts with an almost empty environment: keep the PATH that found node.
    env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: home, ...parseEnv(request.env) },
    stopTimeout: Math.ceil(longestStop) + 10,
  };
  return { manager, file: serviceFile(manager, facts) };
}

function run(argv: string[]): { ok: boolean; output: string } {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
  if (result.error)
    return { ok: false, output: (result.error as NodeJS.ErrnoException).code ?? result.error.message };
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

export function describePlan(file: ServiceFile, action: "enable" | "disable"): string {
  const steps = action === "enable" ? file.enable : file.disable;
  const header = action === "enable" ? `# would write ${file.path}` : `# would remove ${file.path}`;
  const body = action === "enable" ? `\n${file.content}` : "\n";
  return `${header}${body}${steps.map((s) => `# would run: ${s.join(" ")}`).join("\n")}\n`;
}

/** Write the service file and enable the service; errors say what was done and what failed. */
export function installService(file: ServiceFile, system: boolean): string {
  if (system && process.getuid?.() !== 0) throw new UserError("--system needs root: run it with sudo");
  if (existsSync(file.path))
    throw new UserError(`${file.path} already exists; run "pup disable-service" first`);
  try {
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content);
    chmodSync(file.path, file.mode);
  } catch (err) {
    throw new UserError(`cannot write ${file.path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  for (const step of file.enable) {
    const { ok, output } = run(step);
    if (!ok)
      throw new UserError(`wrote ${file.path}, but "${step.join(" ")}" failed: ${output.split("\n")[0]}`);
  }
  return `installed and started the service: ${file.path}`;
}

export function uninstallService(file: ServiceFile, system: boolean): string {
  if (system && process.getuid?.() !== 0) throw new UserError("--system needs root: run it with sudo");
  if (!existsSync(file.path)) throw new UserError(`no service file at ${file.path}`);
  // Stopping may fail when the service is not running: that is fine, the file goes anyway.
  for (const step of file.disable) run(step);
  rmSync(file.path, { force: true });
  return `removed the service: ${file.path}`;
}
