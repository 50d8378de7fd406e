import type { EventEmitter } from "node:events";
import type { ProcessConfig } from "../config/schema.ts";
import { childDefinitions } from "../core/definitions.ts";
import { ProcessState } from "../core/states.ts";
import type { ProcessInfo } from "../core/types.ts";
import type { InstanceContext, InstanceService } from "../instance/instance.ts";
import { LoadBalancer } from "./load-balancer.ts";
import { type BalancerStats, type BalancerView, type ClusterRotation, publishBalancers } from "./view.ts";

/** A status as the balancer reads it; `health` once the core has health checks (SPEC §8.1). */
type ObservedStatus = Pick<ProcessInfo, "status"> & { health?: string };

interface HealthEvents {
  process_health_changed: [{ id: string; old?: string; new: string; reason?: string }];
}

/**
 * What a cluster instance's status means for its backend: running, and healthy unless its
 * health check has not passed (yet): `starting` and `unhealthy` both keep new clients away.
 */
export function backendFlags(status: ObservedStatus): { running: boolean; healthy: boolean } {
  return { running: status.status === ProcessState.RUNNING, healthy: admitsClients(status.health) };
}

/** Only a passing health check (or none) admits new clients. */
function admitsClients(health: string | undefined): boolean {
  return health === undefined || health === "healthy";
}

interface Cluster {
  id: string;
  balancer: LoadBalancer;
  /** Backend index by instance id. */
  members: Map<string, number>;
}

/** Starts a load balancer for every cluster with a `commonPort`, fed by the processes' states. */
export class BalancerService implements InstanceService, BalancerView {
  readonly name = "load balancer";
  private readonly clusters = new Map<string, Cluster>();

  async start(context: InstanceContext): Promise<void> {
    for (const proc of context.config.processes) {
      const cluster = await this.startCluster(context, proc);
      if (cluster) this.clusters.set(proc.id, cluster);
    }
    const byInstance = new Map<string, { balancer: LoadBalancer; index: number }>();
    for (const { balancer, members } of this.clusters.values()) {
      for (const [id, index] of members) byInstance.set(id, { balancer, index });
    }
    context.supervisor.events.on("process_status_changed", ({ status }) => {
      const member = byInstance.get(status.id);
      if (!member) return;
      const { running, healthy } = backendFlags(status);
      member.balancer.setRunning(member.index, running);
      member.balancer.setHealthy(member.index, healthy);
    });
    // SPEC §8.1's event, which the core's CoreEvents does not list yet.
    const events = context.supervisor.events as unknown as EventEmitter<HealthEvents>;
    events.on("process_health_changed", ({ id, new: health }) => {
      const member = byInstance.get(id);
      if (member) member.balancer.setHealthy(member.index, admitsClients(health));
    });
    publishBalancers(context, this);
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
    return { id: proc.id, balancer, members: new Map(instances.map((def, i) => [def.id, i])) };
  }

  stats(): BalancerStats[] {
    return [...this.clusters.values()].map(({ id, balancer }) => ({ process: id, ...balancer.stats() }));
  }

  rotation(clusterId: string): ClusterRotation | undefined {
    const cluster = this.clusters.get(clusterId);
    if (!cluster) return undefined;
    const index = (instanceId: string) => {
      const i = cluster.members.get(instanceId);
      if (i === undefined) throw new Error(`"${instanceId}" is not an instance of cluster "${clusterId}"`);
      return i;
    };
    return {
      drain: async (id, timeoutMs) => cluster.balancer.drain(index(id), timeoutMs),
      restore: async (id, options) => cluster.balancer.restore(index(id), options),
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.clusters.values()].map((c) => c.balancer.close()));
  }
}
