import { Counter, Gauge, Registry } from "prom-client";
import type { BalancerStats } from "../balancer/view.ts";
import type { ProcessInfo } from "../core/types.ts";
import type { SinkHealth } from "../logs/sink-fault.ts";

/** What the metrics are read from, at each scrape. */
export interface MetricSources {
  subscribers(): number;
  streamUnsentBytes(): number;
  /** Every process's status, as listed once for the whole scrape. */
  statuses(): ProcessInfo[];
  /** CPU seconds per process, up to this scrape. */
  cpuSeconds(): Iterable<[string, number]>;
  requests(): Iterable<{ method: string; route: string; status: string; n: number }>;
  logEntries(): Iterable<[string, number]>;
  /** The load balancers, as read once for the whole scrape. */
  balancers(): BalancerStats[];
  /** The log store and log files, each with its health. */
  logSinks(): SinkHealth[];
}

/**
 * The Prometheus registry of GET /metrics, built at the first scrape: every metric is read from
 * `sources` when scraped. A registry of its own, so that two instances in one process (tests) do
 * not share counters.
 */
export function createRegistry(sources: MetricSources): Registry {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: "pup_api_stream_subscribers",
    help: "connected event-stream (GET /wss) subscribers",
    registers,
    collect() {
      this.set(sources.subscribers());
    },
  });
  new Gauge({
    name: "pup_api_stream_unsent_bytes",
    help: "bytes written to event-stream subscribers and not yet sent, over all of them",
    registers,
    collect() {
      this.set(sources.streamUnsentBytes());
    },
  });
  new Gauge({
    name: "pup_process_state",
    help: "state code of each process (RUNNING 200, FINISHED 300, ERRORED 400, …)",
    labelNames: ["process", "type"],
    registers,
    collect() {
      this.reset();
      for (const s of sources.statuses()) this.set({ process: s.id, type: s.type }, s.status);
    },
  });
  new Gauge({
    name: "pup_process_restarts",
    help: "automatic restarts of each process since its last manual start",
    labelNames: ["process"],
    registers,
    collect() {
      this.reset();
      for (const s of sources.statuses()) this.set({ process: s.id }, s.restarts);
    },
  });
  new Gauge({
    name: "pup_process_resident_memory_bytes",
    help: "resident memory of each running process and its descendants",
    labelNames: ["process"],
    registers,
    collect() {
      this.reset();
      for (const s of sources.statuses()) if (s.rss !== undefined) this.set({ process: s.id }, s.rss);
    },
  });
  new Gauge({
    name: "pup_process_healthy",
    help: "1 when a process with a healthcheck is healthy, 0 when it is starting or unhealthy (absent without a healthcheck or when not running)",
    labelNames: ["process"],
    registers,
    collect() {
      this.reset();
      for (const s of sources.statuses())
        if (s.health !== undefined) this.set({ process: s.id }, s.health === "healthy" ? 1 : 0);
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
      for (const s of sources.statuses()) {
        const up = s.pid !== undefined && s.started ? (now - Date.parse(s.started)) / 1000 : 0;
        this.set({ process: s.id }, Math.max(0, up));
      }
    },
  });
  new Counter({
    name: "pup_process_cpu_seconds_total",
    help: "CPU seconds used by each process and its descendants since the instance started, as sampled",
    labelNames: ["process"],
    registers,
    collect() {
      this.reset();
      for (const [process, seconds] of sources.cpuSeconds()) this.inc({ process }, seconds);
    },
  });
  new Counter({
    name: "pup_api_requests_total",
    help: "REST API requests answered, by route and status",
    labelNames: ["method", "route", "status"],
    registers,
    collect() {
      this.reset();
      for (const { method, route, status, n } of sources.requests()) this.inc({ method, route, status }, n);
    },
  });
  new Counter({
    name: "pup_log_entries_total",
    help: "log entries written, by severity",
    labelNames: ["severity"],
    registers,
    collect() {
      this.reset();
      for (const [severity, n] of sources.logEntries()) this.inc({ severity }, n);
    },
  });
  balancerMetrics(sources, registers);
  logSinkMetrics(sources, registers);
  return registry;
}

/** The log store and each log file: whether it is written, and what it could not keep. */
function logSinkMetrics(sources: MetricSources, registers: Registry[]): void {
  new Counter({
    name: "pup_log_entries_dropped_total",
    help: "log entries that the log store or a log file could not keep while it failed (disk full…)",
    labelNames: ["sink", "path"],
    registers,
    collect() {
      this.reset();
      for (const s of sources.logSinks()) this.inc({ sink: s.sink, path: s.path }, s.dropped);
    },
  });
  new Gauge({
    name: "pup_log_sink_up",
    help: "1 while the log store or a log file is written without failure, 0 while it fails",
    labelNames: ["sink", "path"],
    registers,
    collect() {
      this.reset();
      for (const s of sources.logSinks()) this.set({ sink: s.sink, path: s.path }, s.ok ? 1 : 0);
    },
  });
}

type BackendStats = BalancerStats["backends"][number];

/** Per cluster instance behind a load balancer, labelled `process` (the cluster) and `instance`. */
const BACKEND_METRICS: Array<{
  counter?: true;
  name: string;
  help: string;
  value: (b: BackendStats) => number;
}> = [
  {
    name: "pup_balancer_connections_open",
    help: "connections open through the load balancer to each cluster instance",
    value: (b) => b.open,
  },
  {
    counter: true,
    name: "pup_balancer_connections_total",
    help: "connections each cluster instance accepted from the load balancer",
    value: (b) => b.total,
  },
  {
    counter: true,
    name: "pup_balancer_connections_failed_total",
    help: "connection attempts to each cluster instance that failed (refused, timed out, closed before answering)",
    value: (b) => b.failed,
  },
  {
    name: "pup_balancer_backend_up",
    help: "1 if the cluster instance is running and accepted its last connection",
    value: (b) => (b.running && b.up ? 1 : 0),
  },
  {
    name: "pup_balancer_backend_in_rotation",
    help: "1 if the cluster instance gets new connections (running, healthy, not drained)",
    value: (b) => (b.inRotation ? 1 : 0),
  },
];

function balancerMetrics(sources: MetricSources, registers: Registry[]): void {
  for (const { counter, name, help, value } of BACKEND_METRICS) {
    const options = { name, help, labelNames: ["process", "instance"], registers };
    const each = (record: (labels: { process: string; instance: string }, n: number) => void) => {
      for (const { process, backends } of sources.balancers()) {
        for (const b of backends) record({ process, instance: b.name }, value(b));
      }
    };
    if (counter) {
      new Counter({
        ...options,
        collect() {
          this.reset();
          each((labels, n) => this.inc(labels, n));
        },
      });
    } else {
      new Gauge({
        ...options,
        collect() {
          this.reset();
          each((labels, n) => this.set(labels, n));
        },
      });
    }
  }
  new Counter({
    name: "pup_balancer_clients_dropped_total",
    help: "clients the load balancer closed without an answer (every instance failed, or none came back in time)",
    labelNames: ["process"],
    registers,
    collect() {
      this.reset();
      for (const { process, dropped } of sources.balancers()) this.inc({ process }, dropped);
    },
  });
}
