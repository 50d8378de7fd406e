import type { ConfigDiff } from "../config/diff.ts";
import type { ProcessConfig, PupConfig } from "../config/schema.ts";
import { childDefinitions } from "../core/definitions.ts";
import type { Health } from "../core/health.ts";
import { keepsBalancer, type Rotation } from "../core/rolling.ts";
import { ProcessState } from "../core/states.ts";
import type { ProcessInfo } from "../core/types.ts";
import type { InstanceContext, InstanceService } from "../instance/instance.ts";
import { LoadBalancer } from "./load-balancer.ts";
import { type BalancerStats, type BalancerView, publishBalancers } from "./view.ts";

/**
 * What a cluster instance's status means for its backend: running, and healthy unless its
 * health check has not passed (yet): `starting` and `unhealthy` both keep new clients away.
 */
export function backendFlags(status: Pick<ProcessInfo, "status" | "health">): {
  running: boolean;
  healthy: boolean;
} {
  return { running: status.status === ProcessState.RUNNING, healthy: admitsClients(status.health) };
}

/** Only a passing health check (or none) admits new clients. */
function admitsClients(health: Health | undefined): boolean {
  return health === undefined || health === "healthy";
}

/** The balancer as the core's rolling restart drives it (SPEC §8.5). */
function rotationOf(balancer: LoadBalancer): Rotation {
  return {
    drain: async (index, deadlineMs) => {
      await balancer.drain(index, deadlineMs);
    },
    restore: (index) => balancer.restore(index),
  };
}

/** One instance's place in its cluster's balancer. */
interface Backend {
  balancer: LoadBalancer;
  index: number;
}

/** A status change of an instance, as its backend sees it. */
function applyStatus(member: Backend, status: ProcessInfo): void {
  const { running, healthy } = backendFlags(status);
  // Health only changes while running: a start or a stop is not reported as a change of it.
  if (running) member.balancer.setHealthy(member.index, healthy);
  member.balancer.setRunning(member.index, running);
  if (!running) member.balancer.setHealthy(member.index, healthy);
}

interface Cluster {
  config: ProcessConfig;
  balancer: LoadBalancer;
  /** Backend index by instance id. */
  members: Map<string, number>;
}

/**
 * Starts a load balancer for every cluster with a `commonPort`, fed by the processes' states and
 * health, and hands it to the core for rolling restarts.
 */
export class BalancerService implements InstanceService, BalancerView {
  readonly name = "load balancer";
  private readonly clusters = new Map<string, Cluster>();
  private readonly byInstance = new Map<string, Backend>();
  private context: InstanceContext | undefined;

  async start(context: InstanceContext): Promise<void> {
    this.context = context;
    for (const proc of context.config.processes) await this.add(context, proc);
    context.core.subscribe("process_status_changed", ({ status }) => {
      const member = this.byInstance.get(status.id);
      if (member) applyStatus(member, status);
    });
    context.core.subscribe("process_health_changed", ({ id, new: health }) => {
      const member = this.byInstance.get(id);
      if (member) member.balancer.setHealthy(member.index, admitsClients(health));
    });
    publishBalancers(context, this);
  }

  /** A reload: the balancers of removed and changed clusters go, those of added and changed ones come. */
  async reconfigure(config: PupConfig, diff: ConfigDiff): Promise<void> {
    const context = this.context;
    if (!context) return;
    const key = (id: string) => id.toLowerCase();
    const nextById = new Map(config.processes.map((p) => [key(p.id), p]));
    // A changed cluster whose ports, instances and strategy stay keeps its balancer (the core
    // replaces its instances one at a time behind it).
    const kept = new Set(
      diff.changed.map(key).filter((id) => {
        const cluster = [...this.clusters].find(([name]) => key(name) === id)?.[1];
        return cluster !== undefined && keepsBalancer(cluster.config.cluster, nextById.get(id)!.cluster);
      }),
    );
    const going = new Set([...diff.removed, ...diff.changed].map(key).filter((id) => !kept.has(id)));
    for (const [id, cluster] of [...this.clusters]) {
      if (!going.has(key(id))) continue;
      this.clusters.delete(id);
      context.core.setRotation(id, undefined);
      await cluster.balancer.close();
    }
    for (const [id, cluster] of this.clusters) if (kept.has(key(id))) cluster.config = nextById.get(key(id))!;
    const coming = new Set([...diff.added, ...diff.changed].map(key).filter((id) => !kept.has(id)));
    for (const proc of config.processes) if (coming.has(key(proc.id))) await this.add(context, proc);
    this.index();
  }

  /** The balancer of a cluster with a commonPort, set from its instances' current states. */
  private async add(context: InstanceContext, proc: ProcessConfig): Promise<void> {
    const cluster = await this.startCluster(context, proc);
    if (!cluster) return;
    this.clusters.set(proc.id, cluster);
    context.core.setRotation(proc.id, rotationOf(cluster.balancer));
    this.index();
    for (const [id, index] of cluster.members) {
      applyStatus({ balancer: cluster.balancer, index }, context.core.get(id).status);
    }
  }

  private index(): void {
    this.byInstance.clear();
    for (const { balancer, members } of this.clusters.values()) {
      for (const [id, index] of members) this.byInstance.set(id, { balancer, index });
    }
  }

  private async startCluster(context: InstanceContext, proc: ProcessConfig): Promise<Cluster | undefined> {
    const { commonPort, startPort, strategy } = proc.cluster ?? {};
    if (commonPort === undefined || startPort === undefined || strategy === undefined) return undefined;
    const instances = childDefinitions(proc, context.config, context.paths.dir);
    const balancer = new LoadBalancer({
      port: commonPort,
      strategy,
      backends: instances.map((def) => ({ host: "127.0.0.1", port: def.clusterPort!, name: def.id })),
      log: (severity, text) => context.logger.log(severity, "cluster", text, proc.id),
    });
    try {
      await balancer.listen();
    } catch (err) {
      throw new Error(`cluster "${proc.id}": commonPort ${commonPort}: ${(err as Error).message}`);
    }
    const last = startPort + instances.length - 1;
    context.logger.log(
      "info",
      "cluster",
      `load balancer on port ${commonPort} (${strategy}) -> ports ${startPort}-${last}`,
      proc.id,
    );
    return { config: proc, balancer, members: new Map(instances.map((def, i) => [def.id, i])) };
  }

  stats(): BalancerStats[] {
    return [...this.clusters].map(([id, { balancer }]) => ({ process: id, ...balancer.stats() }));
  }

  async stop(): Promise<void> {
    for (const id of this.clusters.keys()) this.context?.core.setRotation(id, undefined);
    await Promise.all([...this.clusters.values()].map((c) => c.balancer.close()));
  }
}
