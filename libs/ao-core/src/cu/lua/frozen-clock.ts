/**
 * Stock Lua seeds its string hash (at state creation) and its table.sort pivot (for slices over
 * 100 elements) from `time()` and `clock()`; in wasmoon both end in the `emscripten_date_now`
 * import, i.e. `Date.now()`. Running every synchronous entry into the VM with the JS clocks held
 * at a constant makes those seeds constants, so `pairs` order and sort results are the same on
 * every run. Nothing else runs while the clocks are frozen: VM calls are synchronous.
 */
const FROZEN_MS = 0;
const frozenNow = (): number => FROZEN_MS;

/** Runs `fn` with `Date.now` and `performance.now` returning a constant, then restores them. */
export function withFrozenClock<T>(fn: () => T): T {
  const dateNow = Date.now;
  const perfNow = performance.now;
  Date.now = frozenNow;
  performance.now = frozenNow;
  try {
    return fn();
  } finally {
    Date.now = dateNow;
    performance.now = perfNow;
  }
}
