import { type ChildProcess, spawn } from "node:child_process";

/**
 * A tiny shell process that outlives the instance only to clean up after it. The instance tells
 * it, over a pipe, which process groups it has running ("+pgid" / "-pgid"). When the pipe reaches
 * end-of-file (the instance exited, however it died, even by SIGKILL), the reaper sends SIGTERM to
 * every group still listed, then SIGKILL two seconds later. It ignores the terminal's signals so
 * a Ctrl+C aimed at the instance cannot take it out first.
 */
const SCRIPT = `
trap '' INT TERM HUP QUIT
groups=""
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups \${line#+}" ;;
    -*) gone="\${line#-}"; keep=""
        for g in $groups; do [ "$g" = "$gone" ] || keep="$keep $g"; done
        groups="$keep" ;;
  esac
done
[ -z "$groups" ] && exit 0
for g in $groups; do kill -TERM -"$g" 2>/dev/null; done
sleep 2
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
`;

export class Reaper {
  private child: ChildProcess | undefined;

  start(): void {
    if (this.child) return;
    const child = spawn("/bin/sh", ["-c", SCRIPT], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    child.on("error", () => {
      this.child = undefined;
    });
    child.stdin?.on("error", () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    this.child = child;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  track(pgid: number): void {
    this.child?.stdin?.write(`+${pgid}\n`);
  }

  untrack(pgid: number): void {
    this.child?.stdin?.write(`-${pgid}\n`);
  }

  /** Normal shutdown: closing the pipe lets the reaper exit (after reaping anything left). */
  stop(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }
}
