/** The longest delay setTimeout takes: a longer one overflows and fires at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
}

/**
 * `fn` once `ms` have passed, for any `ms` (a token's lifetime may be a year, where setTimeout
 * stops at 24.8 days): chained timeouts of at most MAX_TIMEOUT_MS, each re-aimed at the deadline.
 * The timers never keep the process alive.
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  const deadline = Date.now() + Math.max(0, ms);
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = deadline - Date.now();
    timer = setTimeout(left > MAX_TIMEOUT_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMEOUT_MS));
    timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
