/**
 * Boot-service definitions for each service manager: pure functions from the service's facts to
 * the file's text and where it goes.
 */
import type { ServiceManager } from "./managers.ts";

export { SERVICE_MANAGERS, type ServiceManager } from "./managers.ts";

export interface ServiceFacts {
  name: string;
  /** System-wide (root) service instead of the user's own. */
  system: boolean;
  user: string;
  home: string;
  /** Absolute paths. */
  nodePath: string;
  pupBin: string;
  configPath: string;
  workingDirectory: string;
  env: Record<string, string>;
  /** Seconds the service manager waits for `pup` to stop everything before killing it. */
  stopTimeout: number;
}

export interface ServiceFile {
  path: string;
  content: string;
  /** File mode; scripts must be executable. */
  mode: number;
  /** What to run after writing the file to enable and start the service. */
  enable: string[][];
  /** What to run to stop and disable it before removing the file. */
  disable: string[][];
}

/** Quote for systemd's ExecStart / Environment: double quotes, escaped backslashes and quotes. */
function systemdQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)
    ? value
    : `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function shQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function xmlEscape(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function command(f: ServiceFacts): string[] {
  return [f.nodePath, f.pupBin, "run", "--config", f.configPath];
}

function systemd(f: ServiceFacts): ServiceFile {
  const path = f.system
    ? `/etc/systemd/system/${f.name}.service`
    : `${f.home}/.config/systemd/user/${f.name}.service`;
  const env = Object.entries(f.env).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`);
  const lines = [
    "[Unit]",
    `Description=pup process manager (${f.name}: ${f.configPath})`,
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    ...(f.system ? [`User=${f.user}`] : []),
    `WorkingDirectory=${systemdQuote(f.workingDirectory)}`,
    ...env,
    `ExecStart=${command(f).map(systemdQuote).join(" ")}`,
    "Restart=always",
    "RestartSec=5",
    // pup stops its own children (grace period, SIGTERM, SIGKILL): systemd signals only pup,
    // and kills whatever is left once the timeout has passed.
    "KillMode=mixed",
    `TimeoutStopSec=${f.stopTimeout}`,
    "",
    "[Install]",
    `WantedBy=${f.system ? "multi-user.target" : "default.target"}`,
    "",
  ];
  const ctl = f.system ? ["systemctl"] : ["systemctl", "--user"];
  return {
    path,
    content: lines.join("\n"),
    mode: 0o644,
    enable: [
      [...ctl, "daemon-reload"],
      [...ctl, "enable", "--now", `${f.name}.service`],
    ],
    disable: [
      [...ctl, "disable", "--now", `${f.name}.service`],
      [...ctl, "daemon-reload"],
    ],
  };
}

function launchd(f: ServiceFacts): ServiceFile {
  const label = `dev.pup.${f.name}`;
  const path = f.system
    ? `/Library/LaunchDaemons/${label}.plist`
    : `${f.home}/Library/LaunchAgents/${label}.plist`;
  const args = command(f)
    .map((a) => `    <string>${xmlEscape(a)}</string>`)
    .join("\n");
  const env = Object.entries(f.env)
    .map(([k, v]) => `    <key>${xmlEscape(k)}</key>\n    <string>${xmlEscape(v)}</string>`)
    .join("\n");
  const content = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xmlEscape(label)}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>WorkingDirectory</key>
  <string>${xmlEscape(f.workingDirectory)}</string>
  <key>EnvironmentVariables</key>
  <dict>
${env}
  </dict>
${f.system ? `  <key>UserName</key>\n  <string>${xmlEscape(f.user)}</string>\n` : ""}  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <true/>
  <key>ExitTimeOut</key>
  <integer>${f.stopTimeout}</integer>
</dict>
</plist>
`;
  return {
    path,
    content,
    mode: 0o644,
    enable: [["launchctl", "load", "-w", path]],
    disable: [["launchctl", "unload", "-w", path]],
  };
}

function sysvinit(f: ServiceFacts): ServiceFile {
  const path = `/etc/init.d/${f.name}`;
  const env = Object.entries(f.env)
    .map(([k, v]) => `export ${k}=${shQuote(v)}`)
    .join("\n");
  const content = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${f.name}
# Required-Start:    $remote_fs $network
# Required-Stop:     $remote_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: pup process manager (${f.name})
### END INIT INFO

PIDFILE=/var/run/${f.name}.pid
${env}

start() {
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then echo "${f.name} is running"; return 0; fi
  cd ${shQuote(f.workingDirectory)} || exit 1
  su -s /bin/sh ${shQuote(f.user)} -c ${shQuote(`${command(f).map(shQuote).join(" ")} >/dev/null 2>&1 & echo $!`)} > "$PIDFILE"
  echo "${f.name} started"
}

stop() {
  [ -f "$PIDFILE" ] || { echo "${f.name} is not running"; return 0; }
  PID=$(cat "$PIDFILE")
  kill -TERM "$PID" 2>/dev/null
  i=0
  while kill -0 "$PID" 2>/dev/null && [ $i -lt ${f.stopTimeout} ]; do sleep 1; i=$((i + 1)); done
  kill -KILL "$PID" 2>/dev/null
  rm -f "$PIDFILE"
  echo "${f.name} stopped"
}

case "$1" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then echo "${f.name} is running"; else echo "${f.name} is stopped"; exit 3; fi ;;
  *) echo "usage: $0 {start|stop|restart|status}"; exit 1 ;;
esac
`;
  return {
    path,
    content,
    mode: 0o755,
    enable: [
      ["update-rc.d", f.name, "defaults"],
      [path, "start"],
    ],
    disable: [
      [path, "stop"],
      ["update-rc.d", "-f", f.name, "remove"],
    ],
  };
}

function upstart(f: ServiceFacts): ServiceFile {
  const path = `/etc/init/${f.name}.conf`;
  const env = Object.entries(f.env)
    .map(([k, v]) => `env ${k}=${shQuote(v)}`)
    .join("\n");
  const content = `description "pup process manager (${f.name})"
start on runlevel [2345]
stop on runlevel [!2345]
respawn
respawn limit 10 5
kill timeout ${f.stopTimeout}
setuid ${f.user}
chdir ${f.workingDirectory}
${env}
exec ${command(f).map(shQuote).join(" ")}
`;
  return {
    path,
    content,
    mode: 0o644,
    enable: [
      ["initctl", "reload-configuration"],
      ["start", f.name],
    ],
    disable: [["stop", f.name]],
  };
}

function windows(f: ServiceFacts): ServiceFile {
  const path = `${f.home}\\.pup\\${f.name}-service.cmd`;
  const binPath = command(f)
    .map((a) => `\\"${a}\\"`)
    .join(" ");
  const content = `@echo off
rem pup process manager (${f.name}): installs and starts a Windows service.
sc.exe create "${f.name}" binPath= "${binPath}" start= auto DisplayName= "pup (${f.name})"
sc.exe failure "${f.name}" reset= 60 actions= restart/5000
sc.exe start "${f.name}"
`;
  return {
    path,
    content,
    mode: 0o644,
    enable: [["cmd.exe", "/c", path]],
    disable: [
      ["sc.exe", "stop", f.name],
      ["sc.exe", "delete", f.name],
    ],
  };
}

export function serviceFile(manager: ServiceManager, facts: ServiceFacts): ServiceFile {
  switch (manager) {
    case "systemd":
      return systemd(facts);
    case "launchd":
      return launchd(facts);
    case "sysvinit":
      return sysvinit(facts);
    case "upstart":
      return upstart(facts);
    case "windows":
      return windows(facts);
  }
}
