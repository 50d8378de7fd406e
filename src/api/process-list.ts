import type { Supervisor } from "../core/supervisor.ts";
import type { ProcessEntry } from "../core/types.ts";

/**
 * Resource usage (cpu, rss) is sampled when the supervisor's list is read, at most once a second:
 * a body older than this is built again from a fresh list, so that a poller sees new samples.
 */
const USAGE_MAX_AGE_MS = 1000;

/** A serialised body, as Fastify's serializers return it. */
type Body = string | Buffer | ArrayBuffer;

/**
 * The serialised body of GET /processes, kept while the supervisor's revision (which moves with
 * every state change, block, telemetry and usage sample) stays the same. Building it (an info
 * object with ISO times for every process, then serialising 100 of them) costs far more than the
 * rest of a request, and pollers ask far more often than processes change.
 *
 * It is checked at each request, not rebuilt at each change: whatever the core changes in the
 * same tick as a state change (a pending restart is set just after the exit) is in the next body.
 */
export class ProcessListCache {
  private body: Body | undefined;
  private revision = -1;
  private builtAt = 0;

  constructor(private readonly supervisor: Supervisor) {}

  /** Build the body again at the next request (after an action, whatever it changed). */
  invalidate(): void {
    this.body = undefined;
  }

  /** The body as `serialize` writes `{data: [entries…]}`, built again only after a change. */
  get(serialize: (payload: { data: ProcessEntry[] }) => Body): Body {
    const now = performance.now();
    if (
      this.body === undefined ||
      this.revision !== this.supervisor.revision ||
      now - this.builtAt >= USAGE_MAX_AGE_MS
    ) {
      const data = this.supervisor.list();
      // Read after listing: the list may have taken a usage sample, which moves the revision.
      this.revision = this.supervisor.revision;
      this.body = serialize({ data });
      this.builtAt = now;
    }
    return this.body;
  }
}
