import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";

/** Every child of an instance carries this variable, with the instance's own random tag. */
export const REAPER_TAG_VARIABLE = "PUP_REAPER_TAG";

/**
 * A tiny shell process that outlives the instance only to clean up after it. The instance tells
 * it, over a pipe, which process groups it has running ("+pgid" / "-pgid"). When the pipe reaches
 * end-of-file (the instance exited, however it died, even by SIGKILL), the reaper sends SIGTERM to
 * every group still listed, and to the group of every process whose environment carries the
 * instance's tag (a child started in the instant before the instance died, whose "+pgid" never
 * came), then SIGKILL two seconds later. It ignores the terminal's signals so a Ctrl+C aimed at
 * the instance cannot take it out first. The tag is its argument, not in its own environment.
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
for f in $(grep -l -s -z -x "${REAPER_TAG_VARIABLE}=$1" /proc/[0-9]*/environ 2>/dev/null); do
  stat=$(cat "\${f%environ}stat" 2>/dev/null) || continue
  set -- \${stat##*) }
  groups="$groups $3"
done
[ -z "$groups" ] && exit 0
for g in $groups; do kill -TERM -"$g" 2>/dev/null; done
sleep 2
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
`;

export class Reaper {
  private child: ChildProcess | undefined;
  /** "-pgid" lines not yet written: they go with the next "+pgid" or at the end of this tick. */
  private pending = "";
  private trackQueued = false;
  /** Put in every child's environment (see SCRIPT). */
  readonly tag = randomBytes(8).toString("hex");

  start(): void {
    if (this.child) return;
    const child = spawn("/bin/sh", ["-c", SCRIPT, "pup-reaper", this.tag], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
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

  /** The variables every child gets, so that the reaper finds it even before its "+pgid". */
  get environment(): Record<string, string> {
    return { [REAPER_TAG_VARIABLE]: this.tag };
  }

  /**
   * Before the next I/O of the instance: the starts of one tick (100 autostarts) are one write.
   * A child started in this tick is still found by its tag if the instance dies before that.
   */
  track(pgid: number): void {
    if (!this.child) return;
    this.pending += `+${pgid}\n`;
    if (!this.trackQueued) {
      this.trackQueued = true;
      process.nextTick(() => this.flush());
    }
  }

  /** Later, with the next track or within this turn: a group that is gone can wait a moment. */
  untrack(pgid: number): void {
    if (!this.child) return;
    if (this.pending === "") setImmediate(() => this.flush());
    this.pending += `-${pgid}\n`;
  }

  private flush(): void {
    this.trackQueued = false;
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
