import { mkdirSync } from "node:fs";
import { makePrivate, PRIVATE_DIR_MODE } from "../common/private-files.ts";
import type { PupConfig } from "../config/schema.ts";
import { Supervisor } from "../core/supervisor.ts";
import type { Logger } from "../logs/logger.ts";
import { MemoryLog } from "../logs/memory-log.ts";
import type { LogReader } from "../logs/query.ts";
import { Reaper } from "../runner/reaper.ts";
import { VERSION } from "../version.ts";
import { claimInstance } from "./lock.ts";
import { createLogger } from "./logging.ts";
import { type InstancePaths, instancePaths } from "./paths.ts";

/** What an instance service (API server, log store, plugins…) gets to work with. */
export interface InstanceContext {
  readonly config: PupConfig;
  readonly paths: InstancePaths;
  readonly supervisor: Supervisor;
  readonly logger: Logger;
  readonly startedAt: Date;
  /** Where stored entries are read from (the log store replaces the in-memory default). */
  logReader: LogReader;
  /** Add variables to every child's environment (evaluated at each start). */
  addChildVariables(provider: (processId: string) => Record<string, string>): void;
  /** Ask the instance to shut down (as SIGTERM would). */
  requestTerminate(reason: string): void;
}

/**
 * A part of the instance with a lifetime: started before the processes (or, with
 * `afterProcesses`, right after they were started), stopped after them.
 */
export interface InstanceService {
  readonly name: string;
  /** Nothing a child needs at its start comes from this service: start it once the processes are. */
  readonly afterProcesses?: boolean;
  start(context: InstanceContext): Promise<void>;
  stop(): Promise<void>;
}

export interface InstanceOptions {
  config: PupConfig;
  /** Absolute path of the configuration file (or the virtual one of a `run --cmd`). */
  configPath: string;
  services?: InstanceService[];
}

/**
 * One `pup run`: holds the single-instance lock, the logger, the reaper, the supervisor and the
 * services around them, and tears all of it down in order.
 */
export class Instance implements InstanceContext {
  readonly config: PupConfig;
  readonly paths: InstancePaths;
  readonly logger: Logger;
  readonly supervisor: Supervisor;
  readonly startedAt = new Date();
  logReader: LogReader;
  private readonly reaper = new Reaper();
  private readonly services: InstanceService[];
  private readonly started: InstanceService[] = [];
  private readonly variableProviders: Array<(id: string) => Record<string, string>> = [];
  private releaseLock: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private resolveFinished!: () => void;
  /** Resolves when the instance has shut down completely. */
  readonly finished = new Promise<void>((resolve) => {
    this.resolveFinished = resolve;
  });

  constructor(options: InstanceOptions) {
    this.config = options.config;
    this.paths = instancePaths(options.configPath);
    this.services = options.services ?? [];
    this.logger = createLogger(this.config, this.paths.dir);
    const memory = new MemoryLog();
    this.logger.addSink(memory);
    this.logReader = memory;
    this.supervisor = new Supervisor({
      config: this.config,
      configDir: this.paths.dir,
      logger: this.logger,
      storage: { temp: this.paths.tempDir, data: this.paths.dataDir },
      reaper: this.reaper,
      childVariables: (id) => Object.assign({}, ...this.variableProviders.map((p) => p(id))),
    });
  }

  addChildVariables(provider: (processId: string) => Record<string, string>): void {
    this.variableProviders.push(provider);
  }

  requestTerminate(reason: string): void {
    void this.terminate(reason);
  }

  /**
   * `.pup/` and its two folders, created for their owner only, or made so when an earlier version
   * (or a hand) left them open to others.
   */
  private makePrivateDirs(): void {
    const { pupDir, dataDir, tempDir } = this.paths;
    mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    mkdirSync(tempDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    for (const dir of [pupDir, dataDir, tempDir]) {
      const opened = makePrivate(dir, PRIVATE_DIR_MODE);
      if (opened) this.logger.log("warn", "init", `pup's files are for their owner only: ${opened}`);
    }
  }

  /** Take the lock, start the services the processes need, the processes, then the other services. */
  async start(): Promise<void> {
    // First, so that a second instance or an unwritable folder stops it before anything happens.
    this.releaseLock = claimInstance(this.paths);
    this.makePrivateDirs();
    this.reaper.start();
    this.logger.log(
      "info",
      "init",
      `pup ${VERSION} starting (pid ${process.pid}, config ${this.paths.configPath})`,
    );
    try {
      await this.startServices(this.services.filter((s) => !s.afterProcesses));
      this.supervisor.start();
      await this.startServices(this.services.filter((s) => s.afterProcesses));
    } catch (err) {
      await this.terminate("startup failed");
      throw err;
    }
  }

  private async startServices(services: InstanceService[]): Promise<void> {
    for (const service of services) {
      await service.start(this);
      this.started.push(service);
    }
  }

  /** Block and stop every process, stop the services, flush the logs, release the lock. */
  terminate(reason: string): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.logger.log("info", "terminating", `terminating (${reason}): stopping every process`);
        await this.supervisor.terminate(reason);
        for (const service of [...this.started].reverse()) {
          try {
            await service.stop();
          } catch (err) {
            this.logger.log(
              "error",
              "terminating",
              `${service.name} did not stop cleanly: ${(err as Error).stack}`,
            );
          }
        }
        this.logger.log("info", "terminating", "all processes stopped; bye");
        await this.logger.close();
        this.reaper.stop();
        this.releaseLock?.();
        this.resolveFinished();
      })();
    }
    return this.stopping;
  }
}
