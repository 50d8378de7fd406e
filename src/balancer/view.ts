import type { LoadBalancerStats } from "./load-balancer.ts";

/** One cluster's load balancer as the API and `pup status` show it. */
export interface BalancerStats extends LoadBalancerStats {
  /** The cluster's process id. */
  process: string;
}

/** What a rolling restart does with a cluster's balancer, by instance id ("web-2"). */
export interface ClusterRotation {
  /** Out of rotation; resolves with 0 once its connections have ended, or with those left. */
  drain(instanceId: string, timeoutMs?: number): Promise<number>;
  /** Back in rotation (with `waitAcceptingMs`, once its port accepts); false if not restored. */
  restore(instanceId: string, options?: { waitAcceptingMs?: number }): Promise<boolean>;
}

/** The load balancers of one instance. */
export interface BalancerView {
  stats(): BalancerStats[];
  /** The rotation of a cluster with a `commonPort`; undefined for any other id. */
  rotation(clusterId: string): ClusterRotation | undefined;
}

/*
 * The balancers of each instance, found by the instance's context. The API reads them without
 * importing the balancer's code or widening the context; once the core offers a narrow facade,
 * this belongs on it (`balancers()`), and the table goes.
 */
const views = new WeakMap<object, BalancerView>();

export function publishBalancers(context: object, view: BalancerView): void {
  views.set(context, view);
}

export function balancersOf(context: object): BalancerView | undefined {
  return views.get(context);
}
