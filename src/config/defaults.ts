/**
 * Defaults that code outside the schema needs too (the control commands read the terminate
 * timeouts without loading the validator). The schema takes them from here.
 */
export const DEFAULT_TERMINATE_TIMEOUT = 30;
export const DEFAULT_TERMINATE_GRACE_PERIOD = 0;
