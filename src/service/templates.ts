/**
 * Boot-service definitions for each service manager: pure functions from the service's facts to
 * the file's text, where it goes, how to enable it, and what the user can do with it next.
 * Every value is quoted for its format (./quote.ts): no path, user or variable can add a line.
 */
import type { ServiceManager } from "./managers.ts";
import {
  refuseControlCharacters,
  shQuote,
  systemdPath,
  systemdText,
  systemdWord,
  upstartQuote,
  xmlText,
} from "./quote.ts";

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
  /** Names already checked (see install.ts); values are any text. */
  env: Record<string, string>;
  /** Seconds the service manager waits for `pup` to stop everything before killing it. */
  stopTimeout: number;
  /** For a systemd user service: whether the user's services run without a login session. */
  lingering?: boolean;
}

export interface ServiceFile {
  path: string;
  content: string;
  /** File mode; scripts must be executable. */
  mode: number;
  /** Whether the file goes to a system folder (root only). */
  systemWide: boolean;
  /** What to run after writing the file to enable and start the service. */
  enable: string[][];
  /** What to run to stop and disable it before removing the file. */
  disable: string[][];
  /** What the user can do once it is installed: `[what, command]` pairs, and notes. */
  nextSteps: Array<[string, string]>;
  notes: string[];
}

function command(f: ServiceFacts): string[] {
  return [f.nodePath, f.pupBin, "run", "--config", f.configPath];
}

/** The pup commands that work whatever the manager: its own log store, and removal. */
function pupSteps(f: ServiceFacts, manager: ServiceManager, scoped: boolean): Array<[string, string]> {
  const config = shQuote(f.configPath);
  const system = scoped ? (f.system ? " --system" : " --no-system") : "";
  return [
    ["pup's logs", `pup logs --config ${config} -f`],
    ["pup's status", `pup status --config ${config}`],
    ["uninstall", `pup disable-service --config ${config}${system} --name ${f.name} --manager ${manager}`],
  ];
}

function systemd(f: ServiceFacts): ServiceFile {
  const path = f.system
    ? `/etc/systemd/system/${f.name}.service`
    : `${f.home}/.config/systemd/user/${f.name}.service`;
  const env = Object.entries(f.env).map(
    ([k, v]) => `Environment=${systemdWord(`${k}=${v}`, { dollar: false })}`,
  );
  const lines = [
    "[Unit]",
    `Description=${systemdText(`pup process manager (${f.name}: ${f.configPath})`)}`,
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    ...(f.system ? [`User=${f.user}`] : []),
    `WorkingDirectory=${systemdPath("the configuration's folder", f.workingDirectory)}`,
    ...env,
    // `$` is expanded in the arguments, not in the program's path.
    `ExecStart=${command(f)
      .map((word, i) => systemdWord(word, { dollar: i > 0 }))
      .join(" ")}`,
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
  const unit = `${f.name}.service`;
  const journal = f.system ? `journalctl -u ${unit} -f` : `journalctl --user -u ${unit} -f`;
  return {
    path,
    content: lines.join("\n"),
    mode: 0o644,
    systemWide: f.system,
    enable: [
      [...ctl, "daemon-reload"],
      [...ctl, "enable", "--now", unit],
    ],
    disable: [
      [...ctl, "disable", "--now", unit],
      [...ctl, "daemon-reload"],
    ],
    nextSteps: [
      ["status", [...ctl, "status", unit].join(" ")],
      ["start", [...ctl, "start", unit].join(" ")],
      ["service logs", journal],
      ["restart", [...ctl, "restart", unit].join(" ")],
      ["stop", [...ctl, "stop", unit].join(" ")],
      ...pupSteps(f, "systemd", true),
    ],
    notes:
      f.system || f.lingering
        ? []
        : [
            `a user service starts at boot only if ${f.user} lingers: run "loginctl enable-linger ${f.user}" ` +
              "(without it, it starts at the user's first login and stops at the last logout)",
          ],
  };
}

function launchd(f: ServiceFacts): ServiceFile {
  const label = `dev.pup.${f.name}`;
  const path = f.system
    ? `/Library/LaunchDaemons/${label}.plist`
    : `${f.home}/Library/LaunchAgents/${label}.plist`;
  const args = command(f)
    .map((a) => `    <string>${xmlText("a path", a)}</string>`)
    .join("\n");
  const env = Object.entries(f.env)
    .map(([k, v]) => `    <key>${xmlText(k, k)}</key>\n    <string>${xmlText(`--env ${k}`, v)}</string>`)
    .join("\n");
  const content = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${label}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>WorkingDirectory</key>
  <string>${xmlText("the configuration's folder", f.workingDirectory)}</string>
  <key>EnvironmentVariables</key>
  <dict>
${env}
  </dict>
${f.system ? `  <key>UserName</key>\n  <string>${xmlText("--user", f.user)}</string>\n` : ""}  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <true/>
  <key>ExitTimeOut</key>
  <integer>${f.stopTimeout}</integer>
</dict>
</plist>
`;
  const domain = f.system ? "system" : "gui/$(id -u)";
  return {
    path,
    content,
    mode: 0o644,
    systemWide: f.system,
    enable: [["launchctl", "load", "-w", path]],
    disable: [["launchctl", "unload", "-w", path]],
    nextSteps: [
      ["status", `launchctl print ${domain}/${label}`],
      ["start", `launchctl kickstart ${domain}/${label}`],
      ["restart", `launchctl kickstart -k ${domain}/${label}`],
      ["stop", `launchctl unload ${shQuote(path)}`],
      ...pupSteps(f, "launchd", true),
    ],
    notes: [],
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
    systemWide: true,
    enable: [
      ["update-rc.d", f.name, "defaults"],
      [path, "start"],
    ],
    disable: [
      [path, "stop"],
      ["update-rc.d", "-f", f.name, "remove"],
    ],
    nextSteps: [
      ["status", `${path} status`],
      ["start", `${path} start`],
      ["restart", `${path} restart`],
      ["stop", `${path} stop`],
      ...pupSteps(f, "sysvinit", false),
    ],
    // The script sends pup's console to /dev/null: the log store keeps everything.
    notes: [],
  };
}

function upstart(f: ServiceFacts): ServiceFile {
  const path = `/etc/init/${f.name}.conf`;
  const env = Object.entries(f.env)
    .map(([k, v]) => `env ${k}=${upstartQuote(`--env ${k}`, v)}`)
    .join("\n");
  const exec = command(f).map(shQuote).join(" ");
  refuseControlCharacters("the command line", exec, "an upstart job");
  const content = `description "pup process manager (${f.name})"
start on runlevel [2345]
stop on runlevel [!2345]
respawn
respawn limit 10 5
kill timeout ${f.stopTimeout}
setuid ${upstartQuote("--user", f.user)}
chdir ${upstartQuote("the configuration's folder", f.workingDirectory)}
${env}
exec ${exec}
`;
  return {
    path,
    content,
    mode: 0o644,
    systemWide: true,
    enable: [
      ["initctl", "reload-configuration"],
      ["start", f.name],
    ],
    disable: [["stop", f.name]],
    nextSteps: [
      ["status", `status ${f.name}`],
      ["start", `start ${f.name}`],
      ["service logs", `tail -f /var/log/upstart/${f.name}.log`],
      ["restart", `restart ${f.name}`],
      ["stop", `stop ${f.name}`],
      ...pupSteps(f, "upstart", false),
    ],
    notes: [],
  };
}

function windows(f: ServiceFacts): ServiceFile {
  const path = `${f.home}\\.pup\\${f.name}-service.cmd`;
  // In a .cmd file `%` starts a variable: doubled, it is itself.
  const binPath = command(f)
    .map((a) => {
      refuseControlCharacters("a path", a, "a Windows service");
      return `\\"${a.replace(/%/g, "%%")}\\"`;
    })
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
    systemWide: false,
    enable: [["cmd.exe", "/c", path]],
    disable: [
      ["sc.exe", "stop", f.name],
      ["sc.exe", "delete", f.name],
    ],
    nextSteps: [
      ["status", `sc.exe query ${f.name}`],
      ["start", `sc.exe start ${f.name}`],
      ["stop", `sc.exe stop ${f.name}`],
      ...pupSteps(f, "windows", false),
    ],
    notes: Object.keys(f.env).length > 0 ? ["a Windows service gets no --env: set them for the machine"] : [],
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
