import type { LoadBalancerStats } from "./load-balancer.ts";

/** One cluster's load balancer as the API and `pup status` show it. */
export interface BalancerStats extends LoadBalancerStats {
  /** The cluster's process id. */
  process: string;
}

/** The load balancers of one instance. */
export interface BalancerView {
  stats(): BalancerStats[];
}

/*
 * The balancers of each instance, found by the instance's context: the API reads them without
 * importing the balancer's code or widening the context. Once the core offers a narrow facade,
 * this belongs on it (`balancers()`), and the table goes.
 */
const views = new WeakMap<object, BalancerView>();

export function publishBalancers(context: object, view: BalancerView): void {
  views.set(context, view);
}

export function balancersOf(context: object): BalancerView | undefined {
  return views.get(context);
}
