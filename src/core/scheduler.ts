import { Cron } from "croner";

/** Cron triggers of one process: `cron` starts it, `terminate` stops it. */
export class Schedules {
  private readonly jobs: Cron[] = [];

  add(pattern: string, onTick: () => void): Cron {
    const job = new Cron(pattern, { protect: true, catch: true }, onTick);
    this.jobs.push(job);
    return job;
  }

  stopAll(): void {
    for (const job of this.jobs) job.stop();
    this.jobs.length = 0;
  }
}

export function nextRunIso(job: Cron): string | null {
  return job.nextRun()?.toISOString() ?? null;
}
