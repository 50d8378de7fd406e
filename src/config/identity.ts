/**
 * Process identity: the one owner of which ids exist, how a cluster's instances are named, and
 * which ids are reserved. The validator, the supervisor, logging, the load balancer and the CLI
 * all ask here instead of building or parsing `<cluster>-<n>` themselves.
 */

/** Ids with a meaning of their own: `all` in actions, `core` for the instance's own log entries, and path names. */
export const RESERVED_IDS: ReadonlySet<string> = new Set(["all", "core", ".", ".."]);

export function isReservedId(id: string): boolean {
  return RESERVED_IDS.has(id.toLowerCase());
}

/** The id of a cluster's instance `index` (0-based): `web` → `web-1`, `web-2`, … */
export function memberId(clusterId: string, index: number): string {
  return `${clusterId}-${index + 1}`;
}

/** The 0-based index of `id` in a cluster of `instances` named `clusterId`, or undefined. */
export function memberIndex(clusterId: string, instances: number, id: string): number | undefined {
  const prefix = `${clusterId}-`;
  if (id.length <= prefix.length || id.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
    return undefined;
  }
  const digits = id.slice(prefix.length);
  if (!/^[1-9][0-9]*$/.test(digits)) return undefined;
  const n = Number(digits);
  return n <= instances ? n - 1 : undefined;
}

/** The least a definition needs for its ids. */
export interface Identified {
  id: string;
  cluster?: { instances: number };
}

/** What one id names: a configured process, or one instance (0-based `index`) of a cluster. */
export interface IdTarget<P extends Identified> {
  id: string;
  process: P;
  index?: number;
}

/**
 * Every id of a configuration, keyed in lower case: each process's own id and, for a cluster,
 * the ids of its instances. A later entry never replaces an earlier one (the validator refuses
 * such configurations; see `idClashes`).
 */
export function idsOf<P extends Identified>(processes: ReadonlyArray<P>): Map<string, IdTarget<P>> {
  const ids = new Map<string, IdTarget<P>>();
  const add = (target: IdTarget<P>) => {
    const key = target.id.toLowerCase();
    if (!ids.has(key)) ids.set(key, target);
  };
  for (const process of processes) {
    add({ id: process.id, process });
    const instances = process.cluster?.instances ?? 0;
    for (let n = 0; n < instances; n++) add({ id: memberId(process.id, n), process, index: n });
  }
  return ids;
}

/** Ids that collide (case-insensitively) with an earlier process's id or cluster instance id. */
export function idClashes(
  processes: ReadonlyArray<Identified>,
): Array<{ index: number; id: string; with: string }> {
  const owners = new Map<string, string>();
  const clashes: Array<{ index: number; id: string; with: string }> = [];
  processes.forEach((process, index) => {
    const own = [process.id];
    const instances = process.cluster?.instances ?? 0;
    for (let n = 0; n < instances; n++) own.push(memberId(process.id, n));
    for (const id of own) {
      const holder = owners.get(id.toLowerCase());
      if (holder !== undefined) {
        clashes.push({ index, id, with: holder });
        break;
      }
    }
    for (const id of own)
      if (!owners.has(id.toLowerCase())) owners.set(id.toLowerCase(), describe(process, id));
  });
  return clashes;
}

function describe(process: Identified, id: string): string {
  return id === process.id ? `process "${id}"` : `instance "${id}" of cluster "${process.id}"`;
}
