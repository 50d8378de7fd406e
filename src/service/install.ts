import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "../common/atomic-write.ts";
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
/** An environment variable name every service format and shell accepts as it is. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A user name as useradd accepts it (no spaces, quotes or newlines). */
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}\$?$/;

const isRoot = () => process.getuid?.() === 0;

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
    if (eq <= 0) throw new UserError(`--env: expected KEY=VALUE, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    if (!ENV_NAME.test(key)) {
      throw new UserError(
        `--env: ${JSON.stringify(key)} is not a variable name (letters, digits and _, not starting with a digit)`,
      );
    }
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

/** Whether a systemd user's services run without a login session (`loginctl enable-linger`). */
function lingers(user: string): boolean {
  return existsSync(`/var/lib/systemd/linger/${user}`);
}

/**
 * The service file for a request, and the manager it is for. Root gets a system service unless it
 * asks for its own (`--no-system`): root's user services start only with lingering, a surprise.
 */
export function planService(request: ServiceRequest): { manager: ServiceManager; file: ServiceFile } {
  const manager = parseManager(request.manager);
  const name = request.name ?? request.config.name ?? "pup";
  if (!NAME.test(name))
    throw new UserError(`--name: expected 1 to 64 characters from a-z A-Z 0-9 @ . _ -, got "${name}"`);
  const user = request.user ?? os.userInfo().username;
  if (!USER_NAME.test(user)) throw new UserError(`--user: ${JSON.stringify(user)} is not a user name`);
  const system = request.system ?? isRoot();
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
    system,
    user,
    home,
    nodePath: process.execPath,
    pupBin: PUP_BIN,
    configPath: request.configPath,
    workingDirectory: path.dirname(request.configPath),
    // The service manager starts with an almost empty environment: keep the PATH that found node.
    env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: home, ...parseEnv(request.env) },
    stopTimeout: Math.ceil(longestStop) + 10,
    lingering: lingers(user),
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
  const lines = steps.map((s) => `# would run: ${s.join(" ")}`);
  if (action === "enable") {
    lines.push(...file.nextSteps.map(([what, how]) => `# then, ${what}: ${how}`));
    lines.push(...file.notes.map((note) => `# note: ${note}`));
  }
  return `${header}${body}${lines.join("\n")}\n`;
}

/** What to tell the user once the service runs: how to see it, its logs, and how to stop it. */
function describeNextSteps(file: ServiceFile): string {
  const width = Math.max(...file.nextSteps.map(([what]) => what.length)) + 1;
  return [
    "next steps:",
    ...file.nextSteps.map(([what, how]) => `  ${`${what}:`.padEnd(width)}  ${how}`),
    ...file.notes.map((note) => `note: ${note}`),
  ].join("\n");
}

function requireRoot(file: ServiceFile): void {
  if (file.systemWide && !isRoot()) {
    throw new UserError(`${file.path} is a system-wide service file: run it as root (sudo)`);
  }
}

/** Write the service file and enable the service; errors say what was done and what failed. */
export function installService(file: ServiceFile): string {
  requireRoot(file);
  const exists = () => new UserError(`${file.path} already exists; run "pup disable-service" first`);
  if (existsSync(file.path)) throw exists();
  try {
    mkdirSync(path.dirname(file.path), { recursive: true });
    // Whole or not at all: a half-written service file would be refused by every later install.
    writeFileAtomic(file.path, file.content, { exclusive: true });
    chmodSync(file.path, file.mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw exists();
    throw new UserError(`cannot write ${file.path}: ${code ?? err}`);
  }
  for (const step of file.enable) {
    const { ok, output } = run(step);
    if (!ok)
      throw new UserError(`wrote ${file.path}, but "${step.join(" ")}" failed: ${output.split("\n")[0]}`);
  }
  return `installed and started the service: ${file.path}\n${describeNextSteps(file)}`;
}

export function uninstallService(file: ServiceFile): string {
  requireRoot(file);
  if (!existsSync(file.path)) throw new UserError(`no service file at ${file.path}`);
  // Stopping may fail when the service is not running: that is fine, the file goes anyway.
  for (const step of file.disable) run(step);
  rmSync(file.path, { force: true });
  return `removed the service: ${file.path}`;
}
