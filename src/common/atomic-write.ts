import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeSync,
} from "node:fs";
import path from "node:path";

/**
 * Replacing a file so that a crash at any moment leaves either the old content or the new one,
 * never a mix: the new text goes to a temporary file in the same folder, is flushed to disk, and
 * only then renamed over the target (rename is atomic within a file system); the folder is
 * flushed too, so the rename itself survives a power cut.
 */

export interface AtomicWriteOptions {
  /** Create only: fail with EEXIST instead of replacing an existing file. */
  exclusive?: boolean;
  /**
   * The content the target must still have when the new one is put in place; another writer's
   * change in between fails with ECHANGED instead of being silently overwritten.
   */
  expect?: string;
}

let sequence = 0;

/** `.pup.json.<pid>-<n>.tmp`: hidden, and names the process that wrote it. */
function tempName(base: string): string {
  sequence++;
  return `.${base}.${process.pid}-${sequence}.tmp`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove temporary files that a writer of `file` left behind when it was killed before its
 * rename. Those of live processes (possibly writing right now) are left alone.
 */
export function removeStaleTempFiles(file: string): string[] {
  const dir = path.dirname(file);
  const pattern = new RegExp(`^\\.${escapeRegExp(path.basename(file))}\\.(\\d+)-\\d+\\.tmp$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined || isAlive(Number(pid))) continue;
    rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** A symbolic link is followed, so that the link stays a link and its target gets the change. */
function resolveTarget(file: string): string {
  try {
    return lstatSync(file).isSymbolicLink() ? realpathSync(file) : file;
  } catch {
    return file;
  }
}

function existing(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function writeTemp(tmp: string, text: string, like: Stats | undefined): void {
  const fd = openSync(tmp, "wx", like ? like.mode & 0o7777 : 0o666);
  try {
    const bytes = Buffer.from(text, "utf8");
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    if (like) {
      // The umask may have narrowed the mode given to open; the file keeps exactly its old one.
      fchmodSync(fd, like.mode & 0o7777);
      if (like.uid !== process.getuid?.() || like.gid !== process.getgid?.()) {
        try {
          fchownSync(fd, like.uid, like.gid);
        } catch {
          // Only root may give a file away; anyone else's edit makes the file theirs, as an editor's save does.
        }
      }
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) and file systems cannot flush a folder; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** Put `tmp` in place of `target`: without replacing anything when exclusive. */
function commit(tmp: string, target: string, exclusive: boolean): void {
  if (!exclusive) {
    renameSync(tmp, target);
    return;
  }
  try {
    // link() fails if the target exists, with no window between a check and the creation.
    linkSync(tmp, target);
    rmSync(tmp, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw err;
    // A file system without hard links: check, then rename.
    if (existing(target)) throw errnoError("EEXIST", `${target} already exists`);
    renameSync(tmp, target);
  }
}

/** Write `text` to `file` atomically, keeping the mode (and, for root, the owner) of the file it replaces. */
export function writeFileAtomic(file: string, text: string, options: AtomicWriteOptions = {}): void {
  const target = resolveTarget(file);
  const dir = path.dirname(target);
  const like = options.exclusive ? undefined : existing(target);
  removeStaleTempFiles(target);
  const tmp = path.join(dir, tempName(path.basename(target)));
  try {
    writeTemp(tmp, text, like);
    if (options.expect !== undefined && readFileSync(target, "utf8") !== options.expect) {
      throw errnoError("ECHANGED", `${target} changed while it was being edited`);
    }
    commit(tmp, target, options.exclusive === true);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncFolder(dir);
}
