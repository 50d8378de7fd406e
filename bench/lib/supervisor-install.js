import { execFileSync, spawnSync } from "node:child_process";

function which(name) {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/**
 * supervisord comes from Debian's `supervisor` package: installed on first use (the bench machine
 * may be fresh). Returns the paths of supervisord and supervisorctl, or undefined when it cannot
 * be had (not root, no apt-get), in which case its columns read "n/a".
 */
export function ensureSupervisor(log = (m) => process.stderr.write(`${m}\n`)) {
  let daemon = which("supervisord");
  if (!daemon) {
    if (!which("apt-get") || process.getuid?.() !== 0) {
      log("supervisord is not installed and cannot be installed here (needs root and apt-get)");
      return undefined;
    }
    log("installing supervisor (apt-get update && apt-get install -y supervisor)…");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    try {
      execFileSync("apt-get", ["update"], { env, stdio: ["ignore", "ignore", "inherit"] });
      execFileSync("apt-get", ["install", "-y", "supervisor"], {
        env,
        stdio: ["ignore", "ignore", "inherit"],
      });
    } catch (err) {
      log(`could not install supervisor: ${err.message}`);
      return undefined;
    }
    daemon = which("supervisord");
  }
  const ctl = which("supervisorctl");
  return daemon && ctl ? { daemon, ctl } : undefined;
}
