import type { Registry } from "prom-client";
import type { BalancerStats } from "../balancer/view.ts";
import type { CoreFacade } from "../core/facade.ts";
import type { ProcessInfo } from "../core/types.ts";
import type { LoggingHealth } from "../logs/logger.ts";
import type { LogEntryCount } from "./log-count.ts";

/**
 * The metrics of GET /metrics: per-process gauges read from the supervisor at scrape time,
 * counters of API requests and log entries kept as they happen, as plain numbers (labelled only
 * when scraped: nothing is hashed per request).
 */
export class ApiMetrics {
  /** Requests answered, by `method route status`. */
  private readonly requestCounts = new Map<
    string,
    { method: string; route: string; status: string; n: number }
  >();
  private registry: Promise<Registry> | undefined;
  /** The processes as listed once at the start of a scrape: every metric reads this one list. */
  private statuses: ProcessInfo[] = [];
  /** CPU seconds per process, as the supervisor's sampler counted them, read with the list. */
  private cpuSeconds = new Map<string, number>();
  /** The load balancers, likewise read once per scrape. */
  private balancerStats: BalancerStats[] = [];

  constructor(
    private readonly supervisor: CoreFacade,
    private readonly logEntries: LogEntryCount,
    private readonly stream: { readonly size: number; readonly unsentBytes: number },
    private readonly balancers: () => BalancerStats[] = () => [],
    private readonly logging: () => LoggingHealth = () => ({ files: [] }),
  ) {}

  countRequest(method: string, route: string, status: number): void {
    const key = `${method} ${route} ${status}`;
    const count = this.requestCounts.get(key);
    if (count) count.n++;
    else this.requestCounts.set(key, { method, route, status: String(status), n: 1 });
  }

  /** The Prometheus text, and its content type; prom-client is loaded at the first scrape. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    this.registry ??= import("./prometheus.ts").then(({ createRegistry }) =>
      createRegistry({
        subscribers: () => this.stream.size,
        streamUnsentBytes: () => this.stream.unsentBytes,
        statuses: () => this.statuses,
        cpuSeconds: () => this.cpuSeconds,
        requests: () => this.requestCounts.values(),
        logEntries: () => this.logEntries.bySeverity,
        balancers: () => this.balancerStats,
        logSinks: () => {
          const { store, files } = this.logging();
          return store ? [store, ...files] : files;
        },
      }),
    );
    const registry = await this.registry;
    // Listing samples usage when the last sample is older than the supervisor's interval.
    this.statuses = this.supervisor.list().map((e) => e.status);
    this.cpuSeconds = this.supervisor.cpuSeconds();
    this.balancerStats = this.balancers();
    return { contentType: registry.contentType, text: await registry.metrics() };
  }
}
