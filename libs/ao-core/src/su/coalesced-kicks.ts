import type { UploadNotifier } from './ports.js';

/**
 * An UploadNotifier over `kick` that has at most one kick in flight: the kicks asked for meanwhile
 * become one more kick once it settles, so the last commit is still followed by a kick. Under load
 * the SU commits a batch every few milliseconds, and a kick per batch (a queue round trip each)
 * cost more than it told the upload worker. A failed kick is dropped (the worker also drains on a
 * timer).
 */
export function coalescedKicks(kick: () => Promise<void>): UploadNotifier {
  let inFlight = false;
  let again = false;
  const run = (): void => {
    inFlight = true;
    again = false;
    void kick()
      .catch(() => undefined)
      .finally(() => {
        inFlight = false;
        if (again) run();
      });
  };
  return {
    uploadsPending(): void {
      if (inFlight) again = true;
      else run();
    },
  };
}
