import { ExportError } from "./errors.ts";

/*
 * A pup cron expression as a CronJob schedule. pup's crons (croner) take 5 fields, or 6 with
 * seconds first; Kubernetes takes the standard 5 (robfig/cron's standard parser), so a 6-field
 * expression may run only at second 0, and croner's extensions that the standard parser lacks
 * (L for "last", # for "nth weekday") cannot be expressed.
 */

// Day-of-month L and day-of-week 5L, 5#2 (no day name has an L in it): croner only.
const DAY_EXTENSION = /[L#]/i;

/** The 5-field schedule of a process's `cron`, or an ExportError naming the process. */
export function cronSchedule(processId: string, cron: string): string {
  const fields = cron.trim().split(/\s+/);
  const refuse = (why: string): never => {
    throw new ExportError(`process "${processId}": cron "${cron}" ${why}`);
  };
  if (fields.length === 6) {
    const [seconds, ...rest] = fields;
    if (!/^0+$/.test(seconds)) {
      refuse(
        "runs at seconds other than 0; a CronJob's finest unit is the minute (use 5 fields, or 0 for the seconds)",
      );
    }
    fields.splice(0, fields.length, ...rest);
  }
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if (DAY_EXTENSION.test(dayOfMonth) || DAY_EXTENSION.test(dayOfWeek)) {
    refuse("uses L or #, which a CronJob's schedule does not support");
  }
  return fields.join(" ");
}
