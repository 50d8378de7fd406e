import type { Registry } from "prom-client";
import { ResourceSampler } from "../core/resource-sampler.ts";
import type { Supervisor } from "../core/supervisor.ts";
import type { ProcessInfo } from "../core/types.ts";
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
  /** CPU seconds used per process while scraped: a scrape's sampler reads what ran since the last. */
  private readonly cpuSeconds = new Map<string, number>();
  private readonly sampler = new ResourceSampler();
  private lastScrape = performance.now();
  private registry: Promise<Registry> | undefined;
  /** The processes as listed once at the start of a scrape: every metric reads this one list. */
  private statuses: ProcessInfo[] = [];

  constructor(
    private readonly supervisor: Supervisor,
    private readonly logEntries: LogEntryCount,
    private readonly subscribers: () => number,
  ) {}

  /** Add the CPU time each process group used since the previous scrape. */
  private sampleCpu(): void {
    const byGroup = new Map<number, string>();
    for (const status of this.statuses) {
      if (status.type !== "cluster" && status.pid !== undefined) byGroup.set(status.pid, status.id);
      if (!this.cpuSeconds.has(status.id) && status.type !== "cluster") this.cpuSeconds.set(status.id, 0);
    }
    const now = performance.now();
    const elapsed = (now - this.lastScrape) / 1000;
    this.lastScrape = now;
    for (const [group, usage] of this.sampler.sample(new Set(byGroup.keys()))) {
      const id = byGroup.get(group)!;
      this.cpuSeconds.set(id, (this.cpuSeconds.get(id) ?? 0) + (usage.cpu / 100) * elapsed);
    }
  }

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
        subscribers: this.subscribers,
        statuses: () => this.statuses,
        cpuSeconds: () => {
          this.sampleCpu();
          return this.cpuSeconds;
        },
        requests: () => this.requestCounts.values(),
        logEntries: () => this.logEntries.bySeverity,
      }),
    );
    const registry = await this.registry;
    this.statuses = this.supervisor.list().map((e) => e.status);
    return { contentType: registry.contentType, text: await registry.metrics() };
  }
}
