import { EventEmitter } from "node:events";
import path from "node:path";
import { BlockedError, UnknownProcessError } from "../common/errors.ts";
import { after, type Timer } from "../common/timers.ts";
import { liveChanges } from "../config/diff.ts";
import { idsOf } from "../config/identity.ts";
import { type ProcessConfig, type PupConfig, watcherSchema } from "../config/schema.ts";
import type { Logger } from "../logs/logger.ts";
import { processLog } from "../logs/logger.ts";
import { spawnChild } from "../runner/child.ts";
import type { Reaper } from "../runner/reaper.ts";
import type { OutputHandler, OutputStream } from "../runner/types.ts";
import { spawnWorker } from "../runner/worker.ts";
import { type ChildDefinition, childDefinitions, childEnvironment } from "./definitions.ts";
import { FileWatcher } from "./file-watcher.ts";
import { combinedHealth, HealthMonitor, probeFor } from "./health.ts";
import { ManagedProcess, type StartResult } from "./managed-process.ts";
import { ResourceSampler } from "./resource-sampler.ts";
import { cycleInstance, keepsBalancer, type Rotation } from "./rolling.ts";
import { nextRunIso, Schedules } from "./scheduler.ts";
import { combinedState } from "./states.ts";
import type { CoreEvents, ProcessEntry, ProcessInfo, Telemetry } from "./types.ts";

export interface SupervisorOptions {
  config: PupConfig;
  /** The configuration file's folder: relative paths resolve from here. */
  configDir: string;
  logger: Logger;
  storage: { temp: string; data: string };
  reaper?: Reaper;
  /** Extra variables for a child (the API's PUP_API_*), computed at each start. */
  childVariables?: (processId: string) => Record<string, string>;
  /**
   * CPU and memory are sampled when someone looks (list, get), at most this often; 0 leaves
   * sampling to explicit `sampleUsage()` calls. An instance nobody asks does no sampling at all.
   */
  sampleIntervalMs?: number;
  /** How often processes with `maxMemoryMb` are sampled (SPEC §8.3: at least every 5 s). */
  memorySampleMs?: number;
}

/** The processes pup runs for one configured process: one, or the instances of a cluster. */
interface Group {
  id: string;
  config: ProcessConfig;
  cluster: boolean;
  members: ManagedProcess[];
  /** Its cron and terminate schedules and its file watcher, disarmed when it goes. */
  schedules: Schedules;
  watcher?: FileWatcher;
}

/** What a reload changes (SPEC §8.6), by configured process id. */
export interface ConfigChange {
  config: PupConfig;
  added: string[];
  removed: string[];
  changed: string[];
  /** For the event only: what the reload left alone, and what it could not apply. */
  unchanged?: string[];
  notApplied?: string[];
}

const DEFAULT_MEMORY_SAMPLE_MS = 2000;

/**
 * The supervising core and its programmatic facade: the CLI, the REST API and plugins act on
 * processes only through these methods. Triggers (autostart, cron, file changes, dependencies)
 * call the same methods; each process decides for itself what follows an exit.
 */
export class Supervisor {
  readonly events = new EventEmitter<CoreEvents>();
  private groups: Group[] = [];
  private readonly byId = new Map<string, { group: Group; member?: ManagedProcess }>();
  private readonly sampler = new ResourceSampler();
  private lastSample = Number.NEGATIVE_INFINITY;
  private memoryTimer: Timer | undefined;
  /** Autostarted groups waiting for their dependencies (SPEC §8.4). */
  private readonly waiting = new Set<Group>();
  /** The load balancers of clusters with a commonPort, by cluster id in lower case. */
  private readonly rotations = new Map<string, Rotation>();
  /** Old instances a reload roll is stopping, no longer listed (see rollInto). */
  private readonly leaving = new Set<ManagedProcess>();
  private terminating: Promise<void> | undefined;
  /** The instance's environment, copied once: reading process.env costs a call per variable. */
  private readonly baseEnvironment: NodeJS.ProcessEnv;
  private changes = 0;

  private started = false;

  constructor(private options: SupervisorOptions) {
    this.baseEnvironment = { ...process.env, ...options.reaper?.environment };
    this.groups = options.config.processes.map((config) => this.createGroup(config));
  }

  private createGroup(config: ProcessConfig): Group {
    const group: Group = {
      id: config.id,
      config,
      cluster: config.cluster !== undefined,
      members: [],
      schedules: new Schedules(),
    };
    for (const def of childDefinitions(config, this.options.config, this.options.configDir)) {
      const member = this.createProcess(def);
      group.members.push(member);
      if (group.cluster) this.byId.set(def.id.toLowerCase(), { group, member });
    }
    this.byId.set(config.id.toLowerCase(), { group, member: group.cluster ? undefined : group.members[0] });
    return group;
  }

  private createProcess(def: ChildDefinition): ManagedProcess {
    const { logger } = this.options;
    /** Where a child's output comes from: the same for a line and for lines read together. */
    const origin = (stream: OutputStream) =>
      ({
        severity: stream === "stderr" ? "error" : "log",
        category: stream,
        processId: def.id,
        timeStamp: Date.now(),
      }) as const;
    const output: OutputHandler = {
      line: (stream, text) => logger.write({ ...origin(stream), text }),
      lines: (stream, bytes, count) => logger.writeLines({ ...origin(stream), bytes, count }),
      drained: () => logger.drained(),
      update: (stream, text) => logger.update({ ...origin(stream), text }),
    };
    const log = processLog(logger, def.id);
    const check = def.healthcheck;
    return new ManagedProcess(def, {
      log,
      launch: (out) => this.launch(def, out),
      output,
      onStateChange: (old, now, proc) => {
        this.changes++;
        this.events.emit("process_status_changed", { old, new: now, status: proc.info() });
        if (this.waiting.size > 0) this.startWaiting();
      },
      onHealthChange: (old, now, reason) => {
        this.events.emit("process_health_changed", { id: def.id, old, new: now, reason });
      },
      watchHealth: check
        ? (onResult) => {
            const probe = probeFor(check, {
              port: def.clusterPort,
              cwd: def.cwd,
              env: () => this.environment(def),
            });
            const monitor = new HealthMonitor(probe, check, onResult);
            monitor.start();
            return monitor;
          }
        : undefined,
    });
  }

  private environment(def: ChildDefinition): NodeJS.ProcessEnv {
    const { storage } = this.options;
    return childEnvironment(def, this.baseEnvironment, {
      PUP_TEMP_STORAGE: storage.temp,
      PUP_DATA_STORAGE: storage.data,
      ...this.options.childVariables?.(def.id),
    });
  }

  private launch(def: ChildDefinition, output: OutputHandler) {
    const env = this.environment(def);
    if (def.type === "worker") {
      return spawnWorker({
        worker: def.config.worker!,
        cwd: def.cwd,
        scriptDir: this.options.configDir,
        env,
        output,
      });
    }
    return spawnChild({
      command: def.config.cmd!,
      cwd: def.cwd,
      env,
      output,
      reaper: this.options.reaper,
      leftoverTimeoutMs: def.terminateTimeout * 1000,
      note: (severity, text) => this.options.logger.log(severity, "finished", text, def.id),
    });
  }

  /** Arm the triggers: autostart (in dependency order), cron schedules, file watchers, memory limits. */
  start(): void {
    this.started = true;
    for (const group of this.groups) this.arm(group);
    this.startWaiting();
    this.armMemorySampling();
  }

  private arm(group: Group, reason: "autostart" | "reload" = "autostart"): void {
    this.armSchedules(group);
    this.armWatcher(group);
    if (!group.config.autostart) return;
    if ((group.config.dependsOn ?? []).length > 0) {
      this.waiting.add(group);
      const deps = group.config.dependsOn!.join(", ");
      this.options.logger.log("info", "starting", `waiting for ${deps} before the autostart`, group.id);
    } else {
      for (const m of group.members) void m.start(reason === "reload" ? "reload" : "autostart");
    }
  }

  /** Stop the triggers of a group that goes, and its processes (for good). */
  private async retire(group: Group): Promise<void> {
    group.schedules.stopAll();
    this.waiting.delete(group);
    await Promise.all([group.watcher?.stop(), ...group.members.map((m) => m.stop("reload"))]);
    for (const m of group.members) m.block(true);
    for (const [key, found] of this.byId) if (found.group === group) this.byId.delete(key);
  }

  /**
   * Apply a reloaded configuration (SPEC §8.6): removed processes are stopped and dropped; changed
   * ones are stopped and recreated, and started again if they were running or autostart; added
   * ones are created and started by their start policy; the others are not touched.
   */
  async applyConfig(change: ConfigChange): Promise<void> {
    const key = (id: string) => id.toLowerCase();
    const old = new Map(this.groups.map((g) => [key(g.id), g]));
    const running = (id: string) => old.get(key(id))?.members.some((m) => m.isActive) ?? false;
    const nextById = new Map(change.config.processes.map((p) => [key(p.id), p]));
    // A running cluster behind a load balancer that keeps its ports is replaced one instance at a time.
    const rolled = new Set(
      change.changed
        .filter((id) => running(id) && this.canRoll(old.get(key(id))!, nextById.get(key(id))!))
        .map(key),
    );
    const wasRunning = new Set(change.changed.filter(running).map(key));
    const gone = [...change.removed, ...change.changed].map(key).filter((id) => !rolled.has(id));
    await Promise.all(gone.map((id) => this.retire(old.get(id)!)));
    const watcherChanged = liveChanges(this.options.config, change.config).includes("watcher");
    this.options = { ...this.options, config: change.config };
    const fresh = new Set([...change.added, ...change.changed].map(key));
    /** The new instances of each rolled cluster; until its turn, each old one stays in its place. */
    const replacements = new Map<Group, ManagedProcess[]>();
    this.groups = change.config.processes.map((config) => {
      if (!fresh.has(key(config.id))) return old.get(key(config.id))!;
      const group = this.createGroup(config);
      if (rolled.has(key(config.id))) {
        replacements.set(group, group.members);
        group.members = [];
        for (const [index, m] of old.get(key(config.id))!.members.entries()) this.place(group, index, m);
      }
      return group;
    });
    this.changes++;
    const { added, removed, changed, unchanged = [], notApplied = [] } = change;
    this.events.emit("config_reloaded", { added, removed, changed, unchanged, notApplied });
    if (!this.started || this.terminating) return;
    const rolls: Promise<void>[] = [];
    for (const group of this.groups) {
      if (!fresh.has(key(group.id))) continue;
      const isNew = change.added.some((id) => key(id) === key(group.id));
      this.options.logger.log("info", "reload", isNew ? "added" : "changed", group.id);
      const replacing = replacements.get(group);
      if (replacing) {
        rolls.push(this.rollInto(old.get(key(group.id))!, group, replacing));
        continue;
      }
      this.arm(group, "reload");
      if (wasRunning.has(key(group.id)) && !group.config.autostart) {
        for (const m of group.members) void m.start("reload");
      }
    }
    if (watcherChanged) await this.rearmWatchers(fresh);
    this.retimeUnchanged(fresh);
    this.startWaiting();
    this.armMemorySampling();
    await Promise.all(rolls);
  }

  /** Whether a changed cluster can be replaced one instance at a time: its balancer stays as it is. */
  private canRoll(old: Group, next: ProcessConfig): boolean {
    return this.rotations.has(old.id.toLowerCase()) && keepsBalancer(old.config.cluster, next.cluster);
  }

  /**
   * A reload of a cluster behind its load balancer: each old instance leaves the rotation and
   * stops, its new definition starts and returns once it serves, then the next. Until its turn an
   * old instance stays listed (and stoppable) in its place; one stopped meanwhile is replaced by a
   * new one that is not started (one waiting to restart is replaced by a running one). If one does not come back, the old instances not yet replaced
   * stay (running the previous definition until their next restart), so the cluster keeps serving.
   */
  private async rollInto(old: Group, fresh: Group, replacements: ManagedProcess[]): Promise<void> {
    old.schedules.stopAll();
    await old.watcher?.stop();
    this.armSchedules(fresh);
    this.armWatcher(fresh);
    const rotation = this.rotations.get(fresh.id.toLowerCase());
    for (const [index, next] of replacements.entries()) {
      if (this.terminating) return;
      const current = fresh.members[index];
      this.place(fresh, index, next);
      if (!current.meantToRun) {
        current.block(true);
        continue;
      }
      // Stopping, it is still the instance's to terminate or sample.
      this.leaving.add(current);
      try {
        await cycleInstance({
          index,
          current,
          next,
          rotation,
          port: (next.definition as ChildDefinition).clusterPort,
        });
      } catch (err) {
        if (this.terminating) return;
        this.options.logger.log(
          "error",
          "reload",
          `${(err as Error).message}; the instances after it keep their previous definition`,
          fresh.id,
        );
        return;
      } finally {
        this.leaving.delete(current);
      }
    }
  }

  /** `member` as instance `index` of a cluster, listed and found by its id. */
  private place(group: Group, index: number, member: ManagedProcess): void {
    group.members[index] = member;
    this.byId.set(member.id.toLowerCase(), { group, member });
  }

  /** New terminate defaults apply at once to the processes a reload did not recreate. */
  private retimeUnchanged(skip: ReadonlySet<string>): void {
    const { config, configDir } = this.options;
    for (const group of this.groups) {
      if (skip.has(group.id.toLowerCase())) continue;
      const defs = childDefinitions(group.config, config, configDir);
      group.members.forEach((m, i) => {
        m.setTerminateTimes(defs[i]);
      });
    }
  }

  /** New watcher settings apply at once to the processes a reload did not recreate. */
  private async rearmWatchers(skip: ReadonlySet<string>): Promise<void> {
    for (const group of this.groups) {
      if (!group.watcher || skip.has(group.id.toLowerCase())) continue;
      await group.watcher.stop();
      group.watcher = undefined;
      this.armWatcher(group);
    }
  }

  private armSchedules(group: Group): void {
    const { logger } = this.options;
    const { config: proc } = group;
    if (proc.cron) {
      const job = group.schedules.add(proc.cron, () => {
        this.events.emit("process_scheduled", { id: group.id, nextRun: nextRunIso(job) });
        logger.log("info", "scheduler", `cron ${proc.cron}: starting`, group.id);
        for (const m of group.members) void m.start("cron");
      });
      logger.log(
        "info",
        "scheduler",
        `scheduled (cron ${proc.cron}); next start ${nextRunIso(job)}`,
        group.id,
      );
    }
    if (proc.terminate) {
      const job = group.schedules.add(proc.terminate, () => {
        this.events.emit("process_scheduled_terminate", { id: group.id, nextRun: nextRunIso(job) });
        logger.log("info", "scheduler", `terminate schedule ${proc.terminate}: stopping`, group.id);
        for (const m of group.members) void m.stop("scheduled");
      });
    }
  }

  private armWatcher(group: Group): void {
    const { logger, config, configDir } = this.options;
    const { config: proc } = group;
    if (!proc.watch || proc.watch.length === 0) return;
    const watcher = new FileWatcher({
      paths: proc.watch.map((p) => path.resolve(configDir, p)),
      settings: config.watcher ?? watcherSchema.parse({}),
      onChange: (file) => {
        this.events.emit("process_watch", { id: group.id, path: file });
        logger.log("info", "watcher", `${file} changed: restarting`, group.id);
        for (const m of group.members) void m.restart("watch");
      },
      onError: (message) => logger.log("warn", "watcher", message, group.id),
    });
    watcher.start();
    group.watcher = watcher;
  }

  /** Start the waiting groups whose dependencies are all RUNNING (and healthy, if checked). */
  private startWaiting(): void {
    if (this.terminating) return;
    const ids = idsOf(this.groups.map((g) => g.config));
    for (const group of [...this.waiting]) {
      const ready = (group.config.dependsOn ?? []).every((dep) => {
        const target = ids.get(dep.toLowerCase());
        if (!target) return false;
        const members = this.lookup(target.process.id).group.members;
        const named = target.index === undefined ? members : [members[target.index]];
        return named.every((m) => m.isReady);
      });
      if (!ready) continue;
      this.waiting.delete(group);
      this.options.logger.log("info", "starting", "dependencies ready", group.id);
      for (const m of group.members) void m.start("dependencies");
    }
  }

  /** Only processes with `maxMemoryMb` need samples on a clock; others are sampled when someone looks. */
  private armMemorySampling(): void {
    const needed = this.groups.some((g) => g.config.maxMemoryMb !== undefined);
    if (!needed) {
      this.memoryTimer?.cancel();
      this.memoryTimer = undefined;
      return;
    }
    if (this.memoryTimer) return;
    const interval = this.options.memorySampleMs ?? DEFAULT_MEMORY_SAMPLE_MS;
    const tick = () => {
      this.sampleUsage();
      this.memoryTimer = after(interval, tick, { unref: true });
    };
    this.memoryTimer = after(interval, tick, { unref: true });
  }

  /**
   * A number that changes whenever anything `list()` reports may have changed (a state, a block,
   * a usage sample, telemetry): callers can cache what they built from the list until it moves.
   */
  get revision(): number {
    return this.changes;
  }

  /**
   * Sample usage if the last sample is older than the sampling interval (list and get do this;
   * a cache of the list calls it before comparing revisions).
   */
  refreshUsage(): void {
    const interval = this.options.sampleIntervalMs ?? 1000;
    if (interval > 0 && performance.now() - this.lastSample >= interval) this.sampleUsage();
  }

  private *allMembers(): Iterable<ManagedProcess> {
    for (const group of this.groups) yield* group.members;
  }

  /** Every process that may have a child: the listed ones and those a reload roll is stopping. */
  private *supervised(): Iterable<ManagedProcess> {
    yield* this.allMembers();
    yield* this.leaving;
  }

  /** Sample CPU and memory of every running process group. */
  sampleUsage(): void {
    this.lastSample = performance.now();
    this.changes++;
    const byPid = new Map<number, ManagedProcess>();
    for (const m of this.supervised()) for (const pid of m.pids) byPid.set(pid, m);
    const usage = this.sampler.sample(new Set(byPid.keys()));
    const totals = new Map<ManagedProcess, { cpu: number; rss: number; cpuSeconds: number }>();
    for (const [pid, u] of usage) {
      const m = byPid.get(pid)!;
      const t = totals.get(m) ?? { cpu: 0, rss: 0, cpuSeconds: 0 };
      totals.set(m, { cpu: t.cpu + u.cpu, rss: t.rss + u.rss, cpuSeconds: t.cpuSeconds + u.cpuSeconds });
    }
    for (const m of this.supervised()) m.setUsage(totals.get(m));
  }

  /** CPU seconds each process (not cluster entries) has used, as sampled, by id. */
  cpuSeconds(): Map<string, number> {
    const seconds = new Map<string, number>();
    for (const m of this.allMembers()) seconds.set(m.id, m.cpuSeconds);
    return seconds;
  }

  private groupInfo(group: Group): ProcessInfo {
    if (!group.cluster) return group.members[0].info();
    const infos = group.members.map((m) => m.info());
    const info: ProcessInfo = {
      id: group.id,
      type: "cluster",
      status: combinedState(infos.map((i) => i.status)),
      blocked: infos.every((i) => i.blocked),
      restarts: infos.reduce((n, i) => n + i.restarts, 0),
      updated: infos
        .map((i) => i.updated)
        .sort()
        .at(-1)!,
    };
    const health = combinedHealth(infos.map((i) => i.health));
    if (health) info.health = health;
    const running = infos.filter((i) => i.rss !== undefined);
    if (running.length > 0) {
      info.cpu = Math.round(running.reduce((n, i) => n + (i.cpu ?? 0), 0) * 10) / 10;
      info.rss = running.reduce((n, i) => n + (i.rss ?? 0), 0);
    }
    return info;
  }

  /** Every process: a cluster's entry, then its instances. */
  list(): ProcessEntry[] {
    this.refreshUsage();
    const entries: ProcessEntry[] = [];
    for (const group of this.groups) {
      entries.push({ status: this.groupInfo(group), config: group.config });
      if (group.cluster)
        for (const m of group.members) entries.push({ status: m.info(), config: group.config });
    }
    return entries;
  }

  private lookup(id: string): { group: Group; member?: ManagedProcess } {
    const found = this.byId.get(id.toLowerCase());
    if (!found) throw new UnknownProcessError(id);
    return found;
  }

  get(id: string): ProcessEntry {
    const { group, member } = this.lookup(id);
    this.refreshUsage();
    return { status: member ? member.info() : this.groupInfo(group), config: group.config };
  }

  /** The processes an id names: `all`, a cluster (its instances), or one process. */
  private targets(id: string): ManagedProcess[] {
    if (id.toLowerCase() === "all") return [...this.allMembers()];
    const { group, member } = this.lookup(id);
    return member ? [member] : group.members;
  }

  has(id: string): boolean {
    return id.toLowerCase() === "all" || this.byId.has(id.toLowerCase());
  }

  /** Start; blocked processes refuse (409), except that `all` just skips them. Running ones are left as they are. */
  async startProcess(id: string): Promise<StartResult[]> {
    const targets = this.targets(id);
    if (id.toLowerCase() !== "all" && targets.every((t) => t.isBlocked)) throw new BlockedError(id);
    return Promise.all(targets.map((t) => t.start("manual")));
  }

  /** Stop, and stay stopped; resolves once every targeted process has exited. */
  async stopProcess(id: string): Promise<void> {
    await Promise.all(this.targets(id).map((t) => t.stop("manual")));
  }

  /** A cluster's load balancer, for rolling restarts; undefined when it goes. */
  setRotation(clusterId: string, rotation: Rotation | undefined): void {
    if (rotation) this.rotations.set(clusterId.toLowerCase(), rotation);
    else this.rotations.delete(clusterId.toLowerCase());
  }

  /**
   * Restart: a process at once; a cluster one instance at a time (SPEC §8.5), each back in
   * service before the next; `all` does both, every group concurrently.
   */
  async restartProcess(id: string): Promise<StartResult[]> {
    const targets = this.targets(id);
    if (id.toLowerCase() !== "all" && targets.every((t) => t.isBlocked)) throw new BlockedError(id);
    if (id.toLowerCase() === "all") {
      const results = await Promise.all(this.groups.map((g) => this.restartGroup(g)));
      return results.flat();
    }
    const { group, member } = this.lookup(id);
    if (!member) return this.restartGroup(group);
    if (member.isBlocked) return [{ started: false, why: "blocked" }];
    return [
      await (group.cluster
        ? this.restartInstance(group, group.members.indexOf(member))
        : member.restart("restart")),
    ];
  }

  private async restartGroup(group: Group): Promise<StartResult[]> {
    if (!group.cluster) {
      const [member] = group.members;
      return [member.isBlocked ? { started: false, why: "blocked" } : await member.restart("restart")];
    }
    const results: StartResult[] = [];
    for (const [index, member] of group.members.entries()) {
      results.push(
        member.isBlocked ? { started: false, why: "blocked" } : await this.restartInstance(group, index),
      );
    }
    return results;
  }

  /** One instance of a cluster: out of rotation, restarted, back once it serves again. */
  private async restartInstance(group: Group, index: number): Promise<StartResult> {
    const member = group.members[index];
    const log = (severity: "info" | "error", text: string) =>
      this.options.logger.log(severity, "cluster", text, group.id);
    log("info", `rolling restart: ${member.id} (${index + 1}/${group.members.length})`);
    try {
      return await cycleInstance({
        index,
        current: member,
        next: member,
        rotation: this.rotations.get(group.id.toLowerCase()),
        port: (member.definition as ChildDefinition).clusterPort,
      });
    } catch (err) {
      log("error", (err as Error).message);
      throw err;
    }
  }

  blockProcess(id: string): void {
    for (const t of this.targets(id)) t.block();
  }

  unblockProcess(id: string): void {
    for (const t of this.targets(id)) t.unblock();
  }

  /** Store telemetry sent by a process (its id is the sender). Returns false for an unknown sender. */
  setTelemetry(telemetry: Telemetry): boolean {
    const found = this.byId.get(String(telemetry.sender).toLowerCase());
    const member = found?.member;
    if (!member) return false;
    member.setTelemetry(telemetry);
    this.changes++;
    this.events.emit("process_telemetry", telemetry);
    return true;
  }

  /**
   * Listen to an event of the core; returns what ends the subscription. (The emitter itself is
   * the core's: adapters subscribe here and report through methods, never emit on it.)
   */
  subscribe<E extends keyof CoreEvents>(event: E, listener: (...args: CoreEvents[E]) => void): () => void {
    this.events.on(event, listener as never);
    return () => {
      this.events.off(event, listener as never);
    };
  }

  /** An IPC message from `sender` (a token's consumer) to process `target` or to "*" (SPEC §5.2). */
  sendIpc(message: CoreEvents["ipc"][0]): void {
    this.events.emit("ipc", message);
  }

  /** Block and stop every process concurrently, and disarm every trigger. */
  terminate(reason = "terminate"): Promise<void> {
    if (!this.terminating) {
      this.events.emit("terminating", { reason });
      this.terminating = (async () => {
        for (const group of this.groups) group.schedules.stopAll();
        this.memoryTimer?.cancel();
        this.waiting.clear();
        const members = [...this.supervised()];
        for (const m of members) m.block(true);
        await Promise.all([
          ...members.map((m) => m.stop("terminating")),
          ...this.groups.map((g) => g.watcher?.stop()),
        ]);
      })();
    }
    return this.terminating;
  }
}
