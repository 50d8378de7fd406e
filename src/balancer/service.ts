import { ProcessState } from "../core/states.ts";
import type { InstanceContext, InstanceService } from "../instance/instance.ts";
import { LoadBalancer } from "./load-balancer.ts";

/** Starts a load balancer for every cluster with a `commonPort`, fed by the processes' states. */
export class BalancerService implements InstanceService {
  readonly name = "load balancer";
  private readonly balancers: LoadBalancer[] = [];

  async start(context: InstanceContext): Promise<void> {
    for (const proc of context.config.processes) {
      const cluster = proc.cluster;
      if (!cluster || cluster.commonPort === undefined || cluster.startPort === undefined) continue;
      const { commonPort, startPort, instances, strategy } = cluster;
      const balancer = new LoadBalancer({
        port: commonPort,
        strategy,
        backends: Array.from({ length: instances }, (_, n) => ({ host: "127.0.0.1", port: startPort + n })),
        log: (severity, text) => context.logger.log(severity, "cluster", text, proc.id),
      });
      try {
        await balancer.listen();
      } catch (err) {
        throw new Error(`cluster "${proc.id}": commonPort ${commonPort}: ${(err as Error).message}`);
      }
      const prefix = `${proc.id}-`.toLowerCase();
      context.supervisor.events.on("process_status_changed", ({ status }) => {
        const id = status.id.toLowerCase();
        if (!id.startsWith(prefix)) return;
        const n = Number(id.slice(prefix.length));
        if (Number.isInteger(n)) balancer.setRunning(n - 1, status.status === ProcessState.RUNNING);
      });
      context.logger.log(
        "info",
        "cluster",
        `load balancer on port ${commonPort} (${strategy}) -> ports ${startPort}-${startPort + instances - 1}`,
        proc.id,
      );
      this.balancers.push(balancer);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.balancers.map((b) => b.close()));
  }
}
