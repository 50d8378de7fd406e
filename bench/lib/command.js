import { spawnSync } from "node:child_process";

const resolved = new Map();

function which(name) {
  if (name.includes("/")) return name;
  if (!resolved.has(name)) {
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    resolved.set(name, found.status === 0 ? found.stdout.trim() : name);
  }
  return resolved.get(name);
}

/**
 * The argv a manager without a shell of its own should run for `cmd`, the way pup does it: a
 * plain command is executed directly (so the child is the program itself, as under pup; Debian's
 * dash does not exec the last command of `sh -c`), anything with shell syntax goes to /bin/sh -c.
 */
export function commandArgv(cmd) {
  if (/^[A-Za-z0-9_@%+=:,./ -]+$/.test(cmd)) {
    const [file, ...args] = cmd.trim().split(/ +/);
    return [which(file), ...args];
  }
  return ["/bin/sh", "-c", cmd];
}
