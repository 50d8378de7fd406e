/**
 * Timers for any duration. Node's setTimeout fires after 1 ms when asked for more than
 * 2^31 - 1 ms (~24.8 days), so a 30-day `timeout` would stop a process at once; these chain
 * shorter timers instead. Every delay of the core goes through here.
 */

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Timer {
  cancel(): void;
}

/**
 * Calls `fn` once, `ms` from now (0 or less: right after this turn's I/O, as setImmediate does,
 * not the 1 ms of setTimeout(0)). `unref`: the timer alone does not keep the process alive.
 */
export function after(ms: number, fn: () => void, options: { unref?: boolean } = {}): Timer {
  if (!(ms > 0)) {
    const immediate = setImmediate(fn);
    if (options.unref) immediate.unref();
    return { cancel: () => clearImmediate(immediate) };
  }
  const due = Date.now() + ms;
  let handle: NodeJS.Timeout;
  const arm = (left: number) => {
    handle = setTimeout(
      () => {
        const remaining = due - Date.now();
        if (remaining > 0 && left > MAX_TIMER_MS) arm(remaining);
        else fn();
      },
      Math.min(left, MAX_TIMER_MS),
    );
    if (options.unref) handle.unref();
  };
  arm(ms);
  return { cancel: () => clearTimeout(handle) };
}

/** A promise that resolves `ms` from now (any duration); the timer does not hold the process. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    after(ms, resolve, { unref: true });
  });
}
