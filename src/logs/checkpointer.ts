import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { errorMessage } from "../common/errors.ts";

/**
 * Frames in the WAL, and how many of them are now in the database file; `busy` when a TRUNCATE
 * could not finish (readers were using the WAL).
 */
export interface CheckpointResult {
  log: number;
  checkpointed: number;
  busy?: boolean;
}

/**
 * PASSIVE copies what it can and never blocks the writer; TRUNCATE (run once everything is copied
 * and the store is idle) also empties the WAL file, giving up at once when a reader is using it.
 */
export type CheckpointMode = "PASSIVE" | "TRUNCATE";

/** A checkpoint that SQLite refused (SQLITE_FULL, SQLITE_IOERR…): the worker itself is fine. */
export class CheckpointError extends Error {}

/**
 * The worker: its own connection to the store, a checkpoint per message, closed on "close".
 * A TRUNCATE takes the write lock, so it does not wait for anything (busy_timeout 0): the
 * instance's writer would wait with it. CommonJS, evaluated: nothing to build or resolve at run
 * time but better-sqlite3, whose path the instance passes in.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 5000 });
parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    parentPort.close();
    return;
  }
  const truncate = message === "TRUNCATE";
  try {
    if (truncate) db.pragma("busy_timeout = 0");
    const [result] = db.pragma(truncate ? "wal_checkpoint(TRUNCATE)" : "wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ log: result.log, checkpointed: result.checkpointed, busy: result.busy === 1 });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.code) ? err.code + ": " + err.message : (err && err.message) || err) });
  } finally {
    if (truncate) db.pragma("busy_timeout = 5000");
  }
});
`;

/**
 * Copies the log store's WAL into the database file on a worker thread, so that a burst of lines
 * never waits for the copy and its fsyncs on the main thread (they were most of the time a burst
 * took). The worker (~15 MiB) runs only while there is something to copy: it is started by a
 * checkpoint and ended `idleMs` after the last one. When no worker can run, `fallback`
 * checkpoints on the calling thread (PASSIVE only). A checkpoint that SQLite refuses rejects with
 * a CheckpointError; the worker stays.
 */
export class Checkpointer {
  private worker: Worker | undefined;
  private running: Promise<CheckpointResult | undefined> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private broken = false;

  constructor(
    private readonly file: string,
    private readonly fallback: () => CheckpointResult,
    private readonly onError: (message: string) => void,
    private readonly idleMs = 2000,
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * One checkpoint at a time (a call while one runs gets that one): resolves with its result
   * (undefined when there is no way to checkpoint, or a TRUNCATE without a worker).
   */
  run(mode: CheckpointMode = "PASSIVE"): Promise<CheckpointResult | undefined> {
    this.running ??= this.checkpoint(mode).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async checkpoint(mode: CheckpointMode): Promise<CheckpointResult | undefined> {
    clearTimeout(this.idleTimer);
    if (!this.broken) {
      try {
        return await this.onWorker(mode);
      } catch (err) {
        if (err instanceof CheckpointError) throw err;
        this.onError(`cannot checkpoint the log store ${this.file} on a worker thread: ${errorMessage(err)}`);
        this.broken = true;
        await this.stopWorker();
      }
    }
    if (mode !== "PASSIVE") return undefined;
    try {
      return this.fallback();
    } catch (err) {
      throw new CheckpointError(errorMessage(err));
    }
  }

  private async onWorker(mode: CheckpointMode): Promise<CheckpointResult> {
    const worker = this.start();
    const result = await new Promise<CheckpointResult | { error: string }>((resolve, reject) => {
      const onExit = () => reject(new Error("the checkpoint worker ended"));
      worker.once("error", reject);
      worker.once("exit", onExit);
      worker.once("message", (message) => {
        worker.off("error", reject);
        worker.off("exit", onExit);
        resolve(message);
      });
      worker.postMessage(mode);
    });
    this.idleTimer = setTimeout(() => void this.stopWorker(), this.idleMs);
    this.idleTimer.unref();
    if ("error" in result) throw new CheckpointError(result.error);
    return result;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
    const worker = new Worker(WORKER_CODE, { eval: true, workerData: { sqlite, file: this.file } });
    worker.unref();
    worker.on("error", () => {});
    worker.once("exit", () => {
      if (this.worker === worker) this.worker = undefined;
    });
    this.worker = worker;
    return worker;
  }

  private async stopWorker(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    // Its connection is closed first, so that the store's own close is the last one (and removes the WAL).
    worker.postMessage("close");
    const timeout = setTimeout(() => void worker.terminate(), 5000);
    await exited;
    clearTimeout(timeout);
  }

  /** Waits for a running checkpoint and ends the worker. */
  async close(): Promise<void> {
    await this.running;
    await this.stopWorker();
  }
}
