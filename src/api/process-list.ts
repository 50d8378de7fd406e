import type { Supervisor } from "../core/supervisor.ts";
import type { CoreEvents, ProcessEntry } from "../core/types.ts";

/** The supervisor's events after which what GET /processes shows may differ. */
const CHANGES = [
  "process_status_changed",
  "process_telemetry",
  "process_scheduled",
  "process_scheduled_terminate",
  "process_watch",
  "terminating",
] as const satisfies ReadonlyArray<keyof CoreEvents>;

/**
 * Resource usage (cpu, rss) changes with no event: the supervisor samples it at most once a
 * second, when its list is read. A body older than this is built again, from a fresh list.
 */
const USAGE_MAX_AGE_MS = 1000;

/** A serialised body, as Fastify's serializers return it. */
type Body = string | Buffer | ArrayBuffer;

/**
 * The serialised body of GET /processes, kept until something it shows changes. Building it
 * (an info object with ISO times for every process, then serialising 100 of them) costs far
 * more than the rest of a request, and pollers ask far more often than processes change.
 *
 * A change drops it, and the next request builds it again: whatever the core changes in the same
 * tick as its event (a pending restart is set just after the exit's event) is in the new body.
 */
export class ProcessListCache {
  private body: Body | undefined;
  private builtAt = 0;
  private readonly detach: Array<() => void> = [];

  constructor(private readonly supervisor: Supervisor) {
    const invalidate = () => this.invalidate();
    for (const event of CHANGES) {
      supervisor.events.on(event, invalidate);
      this.detach.push(() => supervisor.events.off(event, invalidate));
    }
  }

  invalidate(): void {
    this.body = undefined;
  }

  /** The body as `serialize` writes `{data: [entries…]}`, built again only after a change. */
  get(serialize: (payload: { data: ProcessEntry[] }) => Body): Body {
    const now = performance.now();
    if (this.body === undefined || now - this.builtAt >= USAGE_MAX_AGE_MS) {
      this.body = serialize({ data: this.supervisor.list() });
      this.builtAt = now;
    }
    return this.body;
  }

  close(): void {
    for (const d of this.detach) d();
    this.body = undefined;
  }
}
