import type { CoreFacade } from "../core/facade.ts";
import type { ProcessEntry } from "../core/types.ts";

/** A serialised body, as Fastify's serializers return it. */
type Body = string | Buffer | ArrayBuffer;

/**
 * The serialised body of GET /processes, kept while the supervisor's revision (which moves with
 * every state change, block, cancelled restart, telemetry and usage sample) stays the same.
 * Building it (an info object with ISO times for every process, then serialising 100 of them)
 * costs far more than the rest of a request, and pollers ask far more often than processes change.
 *
 * It is checked at each request, not rebuilt at each change: whatever the core changes in the
 * same tick as a state change (a pending restart is set just after the exit) is in the next body.
 * Usage is sampled on demand, so the supervisor is asked to refresh it (at most once per its
 * sampling interval) before the revisions are compared.
 */
export class ProcessListCache {
  private body: Body | undefined;
  private revision = -1;

  constructor(private readonly supervisor: CoreFacade) {}

  /** The body as `serialize` writes `{data: [entries…]}`, built again only after a change. */
  get(serialize: (payload: { data: ProcessEntry[] }) => Body): Body {
    this.supervisor.refreshUsage();
    if (this.body === undefined || this.revision !== this.supervisor.revision) {
      const data = this.supervisor.list();
      this.revision = this.supervisor.revision;
      this.body = serialize({ data });
    }
    return this.body;
  }
}
