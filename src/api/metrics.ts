import { Counter, Gauge, Registry } from "prom-client";
import { ResourceSampler } from "../core/resource-sampler.ts";
import type { Supervisor } from "../core/supervisor.ts";
import type { LogEntryCount } from "./log-count.ts";

/**
 * The Prometheus metrics of GET /metrics: per-process gauges read from the supervisor at scrape
 * time, counters of API requests and log entries kept as they happen. A registry of its own, so
 * that two instances in one process (tests) do not share counters.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  /** Requests answered, by `method route status`: counted as plain numbers, labelled when scraped. */
  private readonly requestCounts = new Map<
    string,
    { method: string; route: string; status: string; n: number }
  >();
  /** CPU seconds used per process while scraped: a scrape's sampler reads what ran since the last. */
  private readonly cpuSeconds = new Map<string, number>();
  private readonly sampler = new ResourceSampler();
  private lastScrape = performance.now();

  constructor(supervisor: Supervisor, logEntries: LogEntryCount, subscribers: () => number) {
    const registers = [this.registry];
    new Gauge({
      name: "pup_api_stream_subscribers",
      help: "connected event-stream (GET /wss) subscribers",
      registers,
      collect() {
        this.set(subscribers());
      },
    });
    const statuses = () => supervisor.list().map((e) => e.status);

    new Gauge({
      name: "pup_process_state",
      help: "state code of each process (RUNNING 200, FINISHED 300, ERRORED 400, …)",
      labelNames: ["process", "type"],
      registers,
      collect() {
        this.reset();
        for (const s of statuses()) this.set({ process: s.id, type: s.type }, s.status);
      },
    });
    new Gauge({
      name: "pup_process_restarts",
      help: "automatic restarts of each process since its last manual start",
      labelNames: ["process"],
      registers,
      collect() {
        this.reset();
        for (const s of statuses()) this.set({ process: s.id }, s.restarts);
      },
    });
    new Gauge({
      name: "pup_process_resident_memory_bytes",
      help: "resident memory of each running process and its descendants",
      labelNames: ["process"],
      registers,
      collect() {
        this.reset();
        for (const s of statuses()) if (s.rss !== undefined) this.set({ process: s.id }, s.rss);
      },
    });
    new Gauge({
      name: "pup_process_uptime_seconds",
      help: "seconds since each running process started (0 when not running)",
      labelNames: ["process"],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const s of statuses()) {
          const up = s.pid !== undefined && s.started ? (now - Date.parse(s.started)) / 1000 : 0;
          this.set({ process: s.id }, Math.max(0, up));
        }
      },
    });
    const cpu = this.cpuSeconds;
    const sampleCpu = () => this.sampleCpu(supervisor);
    new Counter({
      name: "pup_process_cpu_seconds_total",
      help: "CPU time used by each process and its descendants, counted while the instance is scraped",
      labelNames: ["process"],
      registers,
      collect() {
        sampleCpu();
        this.reset();
        for (const [process, seconds] of cpu) this.inc({ process }, seconds);
      },
    });
    const requests = this.requestCounts;
    new Counter({
      name: "pup_api_requests_total",
      help: "REST API requests answered, by route and status",
      labelNames: ["method", "route", "status"],
      registers,
      collect() {
        this.reset();
        for (const { method, route, status, n } of requests.values()) this.inc({ method, route, status }, n);
      },
    });
    new Counter({
      name: "pup_log_entries_total",
      help: "log entries written, by severity",
      labelNames: ["severity"],
      registers,
      collect() {
        this.reset();
        for (const [severity, n] of logEntries.bySeverity) this.inc({ severity }, n);
      },
    });
  }

  /** Add the CPU time each process group used since the previous scrape. */
  private sampleCpu(supervisor: Supervisor): void {
    const byGroup = new Map<number, string>();
    for (const { status } of supervisor.list()) {
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

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
