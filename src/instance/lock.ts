import {
  accessSync,
  constants,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { InstanceRunningError, UserError } from "../common/errors.ts";
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "../common/private-files.ts";
import { procStat } from "../common/proc-stat.ts";
import type { InstancePaths } from "./paths.ts";

/**
 * Who holds a lock: the pid, and what tells that process apart from a later one given the same
 * pid (its start time in clock ticks after boot, and the boot).
 */
interface LockOwner {
  pid: number;
  startTime?: string;
  bootId?: string;
}

let bootIdCache: string | undefined;
function bootId(): string | undefined {
  try {
    bootIdCache ??= readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
  } catch {
    // not Linux
  }
  return bootIdCache;
}

function self(): LockOwner {
  return { pid: process.pid, startTime: procStat(process.pid)?.startTime, bootId: bootId() };
}

/** A lock file's owner; an older lock holds only the pid. Undefined when unreadable or empty. */
function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as LockOwner | number;
    const pid = typeof owner === "number" ? owner : owner?.pid;
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return typeof owner === "number" ? { pid } : owner;
  } catch {
    return undefined;
  }
}

/**
 * Whether the process that wrote the lock still runs: the pid exists, is no zombie, and (where
 * /proc tells) started when the lock says, in the same boot. A pid reused by any other process,
 * node or not, is not the owner.
 */
function isAlive(owner: LockOwner): boolean {
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const stat = procStat(owner.pid);
  if (stat === undefined) return true;
  if (stat.state === "Z" || stat.state === "X") return false;
  if (owner.bootId !== undefined && owner.bootId !== bootId()) return false;
  return owner.startTime === undefined || owner.startTime === stat.startTime;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** The lock's text, or undefined when it is gone; a lock that cannot be read (a folder) throws. */
function readLock(lockFile: string): string | undefined {
  try {
    return readFileSync(lockFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** The pid of the instance that holds the lock, if it is alive. */
export function lockHolder(lockFile: string): number | undefined {
  const owner = parseOwner(readText(lockFile) ?? "");
  return owner !== undefined && isAlive(owner) ? owner.pid : undefined;
}

/** link(2): creates `to` only if nothing is there, with the content `from` already has. */
function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/**
 * Replace a stale lock (its content `stale`) with ours, one taker at a time: takers serialize on
 * a second lock, `<lock>.takeover`, and the one that gets it checks that the lock still is the
 * stale one before renaming ours over it. Without this, two takers that both saw the stale lock
 * could each remove it, and the second would remove the first one's fresh lock. A takeover
 * guard left by a taker killed within those microseconds is removed when its owner is dead.
 */
function takeOver(temp: string, lockFile: string, stale: string): boolean {
  const guard = `${lockFile}.takeover`;
  if (!tryLink(temp, guard)) {
    const owner = parseOwner(readText(guard) ?? "");
    if (owner === undefined || !isAlive(owner)) rmSync(guard, { force: true });
    return false;
  }
  try {
    if ((readText(lockFile) ?? "") !== stale) return false;
    renameSync(temp, lockFile);
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * One instance per configuration file. The lock file holds the running instance's pid, start
 * time and boot; it comes into being whole (written aside, then linked into place, which fails if
 * a lock is there), so no reader ever sees it half-written. A lock whose owner is gone is taken
 * over. Returns the release function.
 */
export function acquireLock(lockFile: string, configPath: string): () => void {
  const mine = JSON.stringify(self());
  const temp = `${lockFile}.${process.pid}.tmp`;
  writeFileSync(temp, mine, { mode: PRIVATE_FILE_MODE });
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (tryLink(temp, lockFile)) return () => releaseLock(lockFile, mine);
      const current = readLock(lockFile);
      if (current === undefined) continue; // released in the meantime: try again
      const owner = parseOwner(current);
      if (owner !== undefined && isAlive(owner)) throw new InstanceRunningError(configPath, owner.pid);
      if (takeOver(temp, lockFile, current)) return () => releaseLock(lockFile, mine);
      pause(5); // another start is taking it over: see who won
    }
  } finally {
    rmSync(temp, { force: true });
  }
  throw new UserError(`cannot take the instance lock ${lockFile}: other starts keep changing it`);
}

function releaseLock(lockFile: string, mine: string): void {
  if (readText(lockFile) === mine) rmSync(lockFile, { force: true });
}

/** `mkdir -p` of a folder this user can write to, with a failure said in one line and what to do. */
function makeFolder(dir: string, configPath: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(
      `cannot write to ${dir} (${code}): an instance keeps its files beside its configuration; ` +
        `make the folder of ${configPath} writable for this user`,
    );
  }
}

/** Make the instance's folders and take its lock (before anything is started or logged). */
export function claimInstance(paths: InstancePaths): () => void {
  makeFolder(paths.dataDir, paths.configPath);
  makeFolder(paths.tempDir, paths.configPath);
  try {
    return acquireLock(paths.lockFile, paths.configPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new UserError(`cannot write the instance lock ${paths.lockFile} (${code})`);
  }
}
