import { forgetGroup, killGroup, spawnGroup } from "../lib/cleanup.js";
import { readStat, sleep } from "../lib/procfs.js";

/** The floor: RSS of a bare `node -e "setInterval(()=>{},1e9)"`, the least any node manager needs. */
export async function floor(ctx) {
  const child = spawnGroup(process.execPath, ["-e", "setInterval(()=>{},1e9)"]);
  try {
    await sleep(1500);
    const rss = readStat(child.pid)?.rss;
    ctx.log(`  floor: bare node rss ${(rss / 2 ** 20).toFixed(1)} MiB`);
    return { rss };
  } finally {
    killGroup(child.pid);
    forgetGroup(child.pid);
  }
}
