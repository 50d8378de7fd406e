import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Pm2Manager } from "../managers/pm2.js";
import { PupManager } from "../managers/pup.js";
import { SupervisordManager } from "../managers/supervisord.js";

export const MANAGERS = ["pup", "pm2", "supervisord"];

/**
 * What a workload gets: the options of this run, the managers to compare and `withManager`,
 * which gives it a freshly launched-to-be manager in its own temp folder and always disposes of
 * both afterwards.
 */
export function createContext({ quick, managers, supervisorBins, keep }) {
  const log = (message) => process.stderr.write(`${message}\n`);
  return {
    quick,
    managers: managers.filter((m) => m !== "supervisord" || supervisorBins),
    log,
    async withManager(name, fn, options = {}) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `pup-bench-${name}-`));
      const manager =
        name === "pup"
          ? new PupManager(dir, options)
          : name === "pm2"
            ? new Pm2Manager(dir)
            : new SupervisordManager(dir, supervisorBins);
      try {
        return await fn(manager, dir);
      } finally {
        const left = await manager.dispose();
        if (left.length > 0) log(`  ${name}: killed ${left.length} leftover children (${left.join(", ")})`);
        if (!keep) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** `n` children running `cmd`, with ids c1…cn. */
export function children(n, cmd, extra = {}) {
  return Array.from({ length: n }, (_, i) => ({ id: `c${i + 1}`, cmd, restart: true, ...extra }));
}
