import { Cron } from "croner";

const jobs = new Map<string, Cron | null>();

/**
 * The next time a cron pattern fires, computed here as the instance's scheduler (croner) does;
 * `process_scheduled` events, when they come, are the instance's own word and take precedence.
 */
export function nextCronRun(pattern: string): string | undefined {
  let job = jobs.get(pattern);
  if (job === undefined) {
    try {
      job = new Cron(pattern, { paused: true });
    } catch {
      job = null;
    }
    jobs.set(pattern, job);
  }
  return job?.nextRun()?.toISOString();
}
