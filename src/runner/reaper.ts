import { type ChildProcess, spawn } from "node:child_process";

/**
 * A tiny shell process that outlives the instance only to clean up after it. The instance tells
 * it, over a pipe, which process groups it has running ("+pgid" / "-pgid"). When the pipe reaches
 * end-of-file (the instance exited, however it died, even by SIGKILL), the reaper sends SIGTERM to
 * every group still listed, then SIGKILL two seconds later. It ignores the terminal's signals so
 * a Ctrl+C aimed at the instance cannot take it out first.
 *
 * Each group is one shell variable (`g<pgid>`), so adding or dropping one costs the same with
 * 1 000 children as with one; the list is only walked (with `set`) at the end.
 */
const SCRIPT = `
trap '' INT TERM HUP QUIT
while IFS= read -r line; do
  case "$line" in
    *[!0-9+-]*) ;;
    +*) eval "g\${line#+}=1" ;;
    -*) unset "g\${line#-}" ;;
  esac
done
groups=$(set | sed -n 's/^g\\([0-9][0-9]*\\)=.*/\\1/p')
[ -z "$groups" ] && exit 0
for g in $groups; do kill -TERM -"$g" 2>/dev/null; done
sleep 2
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
`;

export class Reaper {
  private child: ChildProcess | undefined;
  /** "-pgid" lines not yet written: they go with the next "+pgid" (a restart is one write). */
  private pending = "";

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

  /** At once: until the reaper has read it, a SIGKILL of the instance would orphan the group. */
  track(pgid: number): void {
    if (!this.child) return;
    this.pending += `+${pgid}\n`;
    this.flush();
  }

  /** Later, with the next track or within this turn: a group that is gone can wait a moment. */
  untrack(pgid: number): void {
    if (!this.child) return;
    if (this.pending === "") setImmediate(() => this.flush());
    this.pending += `-${pgid}\n`;
  }

  private flush(): void {
    const lines = this.pending;
    this.pending = "";
    if (lines !== "") this.child?.stdin?.write(lines);
  }

  /** Normal shutdown: closing the pipe lets the reaper exit (after reaping anything left). */
  stop(): void {
    this.flush();
    this.child?.stdin?.end();
    this.child = undefined;
  }
}
