import { existsSync } from "node:fs";
import type { ServiceManager } from "./templates.ts";

/** The service manager this machine uses. */
export function detectManager(platform: NodeJS.Platform = process.platform): ServiceManager {
  if (platform === "darwin") return "launchd";
  if (platform === "win32") return "windows";
  if (existsSync("/run/systemd/system") || existsSync("/bin/systemctl") || existsSync("/usr/bin/systemctl"))
    return "systemd";
  if (existsSync("/sbin/initctl")) return "upstart";
  return "sysvinit";
}
