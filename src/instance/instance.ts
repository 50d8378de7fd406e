import { ConfigError, UserError } from "../common/errors.ts";
import { makePrivate, PRIVATE_DIR_MODE } from "../common/private-files.ts";
import { type ConfigDiff, diffConfigs } from "../config/diff.ts";
import { fileLabel, readConfigFile, requireProcesses } from "../config/load.ts";
import type { PupConfig } from "../config/schema.ts";
import type { CoreFacade } from "../core/facade.ts";
import { Supervisor } from "../core/supervisor.ts";
import { Logger } from "../logs/logger.ts";
import { MemoryLog } from "../logs/memory-log.ts";
import type { LogReader } from "../logs/query.ts";
import type { LogSink } from "../logs/sink.ts";
import { Reaper } from "../runner/reaper.ts";
import { VERSION } from "../version.ts";
import { claimInstance } from "./lock.ts";
import { outputSettings, outputSinks } from "./logging.ts";
import { type InstancePaths, instancePaths } from "./paths.ts";

/** What a reload did (or, dry, would do): SPEC §8.6. */
export type ReloadResult = ConfigDiff;

/** What an instance service (API server, log store, plugins…) gets to work with. */
export interface InstanceContext {
  /** The configuration in force (a reload replaces it). */
  readonly config: PupConfig;
  readonly paths: InstancePaths;
  /** The core, as adapters may use it. */
  readonly core: CoreFacade;
  readonly logger: Logger;
  readonly startedAt: Date;
  /** Where stored entries are read from (the log store replaces the in-memory default). */
  logReader: LogReader;
  /** Add variables to every child's environment (evaluated at each start). */
  addChildVariables(provider: (processId: string) => Record<string, string>): void;
  /** Ask the instance to shut down (as SIGTERM would). */
  requestTerminate(reason: string): void;
  /** Re-read the configuration file and apply the difference (or only report it, `dryRun`). */
  reload(options?: { dryRun?: boolean; by?: string }): Promise<ReloadResult>;
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
  /** A reload changed the configuration: apply what concerns this service (revocations, say). */
  reconfigure?(config: PupConfig, diff: ConfigDiff): Promise<void> | void;
}

export interface InstanceOptions {
  config: PupConfig;
  /** Absolute path of the configuration file (or the virtual one of a `run --cmd`). */
  configPath: string;
  /** Run from the command line, without a file: there is nothing to reload. */
  withoutFile?: boolean;
  services?: InstanceService[];
}

/**
 * One `pup run`: holds the single-instance lock, the logger, the reaper, the supervisor and the
 * services around them, and tears all of it down in order.
 */
export class Instance implements InstanceContext {
  config: PupConfig;
  readonly paths: InstancePaths;
  readonly logger: Logger;
  readonly supervisor: Supervisor;
  get core(): CoreFacade {
    return this.supervisor;
  }
  readonly startedAt = new Date();
  logReader: LogReader;
  private readonly reaper = new Reaper();
  private readonly services: InstanceService[];
  private readonly started: InstanceService[] = [];
  private readonly variableProviders: Array<(id: string) => Record<string, string>> = [];
  private releaseLock: (() => void) | undefined;
  private readonly withoutFile: boolean;
  /** The console and file sinks of the configuration in force (a reload may replace them). */
  private outputSinks: LogSink[];
  /** Reloads, one after another. */
  private reloading: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private resolveFinished!: () => void;
  /** Resolves when the instance has shut down completely. */
  readonly finished = new Promise<void>((resolve) => {
    this.resolveFinished = resolve;
  });

  constructor(options: InstanceOptions) {
    this.config = options.config;
    this.withoutFile = options.withoutFile ?? false;
    this.paths = instancePaths(options.configPath);
    this.services = options.services ?? [];
    this.logger = new Logger();
    this.outputSinks = outputSinks(this.logger, this.config, this.paths.dir);
    for (const sink of this.outputSinks) this.logger.addSink(sink);
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
    // claimInstance has made them.
    const { pupDir, dataDir, tempDir } = this.paths;
    for (const dir of [pupDir, dataDir, tempDir]) {
      const opened = makePrivate(dir, PRIVATE_DIR_MODE);
      if (opened) this.logger.log("warn", "init", `pup's files are for their owner only: ${opened}`);
    }
  }

  /**
   * Live reload (SPEC §8.6): read and validate the file; an invalid one changes nothing (the
   * ConfigError says why, as `pup run` would); a valid one is applied as a difference by the
   * supervisor, and its global keys by the services (revocations, logging).
   */
  reload(options: { dryRun?: boolean; by?: string } = {}): Promise<ReloadResult> {
    const next = this.reloading.then(() => this.reloadNow(options));
    this.reloading = next.catch(() => {});
    return next;
  }

  private async reloadNow({ dryRun = false, by = "reload" }: { dryRun?: boolean; by?: string }) {
    if (this.withoutFile) {
      throw new ConfigError("this instance runs without a configuration file: there is nothing to reload");
    }
    if (this.stopping) throw new UserError("the instance is terminating", 409);
    const next = requireProcesses(readConfigFile(this.paths.configPath), fileLabel(this.paths.configPath));
    const diff = diffConfigs(this.config, next);
    if (dryRun) return diff;
    const { added, removed, changed, unchanged, notApplied } = diff;
    this.logger.log(
      "info",
      "reload",
      `reloading (${by}): ${added.length} added, ${removed.length} removed, ${changed.length} changed, ${unchanged.length} unchanged`,
    );
    await this.supervisor.applyConfig({ config: next, added, removed, changed, unchanged, notApplied });
    const previous = this.config;
    this.config = next;
    if (outputSettings(previous) !== outputSettings(next)) await this.replaceOutputSinks();
    for (const service of this.started) {
      try {
        await service.reconfigure?.(next, diff);
      } catch (err) {
        this.logger.log("error", "reload", `${service.name}: ${(err as Error).stack ?? err}`);
      }
    }
    if (notApplied.length > 0) {
      this.logger.log("warn", "reload", `needs a restart of the instance to apply: ${notApplied.join(", ")}`);
    }
    return diff;
  }

  /** The console and files as the new `logger` settings say: the new sinks first, so no entry falls between. */
  private async replaceOutputSinks(): Promise<void> {
    const old = this.outputSinks;
    this.outputSinks = outputSinks(this.logger, this.config, this.paths.dir);
    for (const sink of this.outputSinks) this.logger.addSink(sink);
    for (const sink of old) this.logger.removeSink(sink);
    await Promise.all(old.map((sink) => sink.flush().then(() => sink.close())));
    this.logger.log("info", "reload", "logging settings applied");
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
    let processesStarted = false;
    try {
      await this.startServices(this.services.filter((s) => !s.afterProcesses));
      this.supervisor.start();
      processesStarted = true;
      await this.startServices(this.services.filter((s) => s.afterProcesses));
    } catch (err) {
      // Before any process started there is nothing to report stopping: the caller says why.
      await this.terminate("startup failed", { quiet: !processesStarted });
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
  terminate(reason: string, options: { quiet?: boolean } = {}): Promise<void> {
    if (!this.stopping) {
      const say = (text: string) => {
        if (!options.quiet) this.logger.log("info", "terminating", text);
      };
      this.stopping = (async () => {
        say(`terminating (${reason}): stopping every process`);
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
        say("all processes stopped; bye");
        await this.logger.close();
        this.reaper.stop();
        this.releaseLock?.();
        this.resolveFinished();
      })();
    }
    return this.stopping;
  }
}
