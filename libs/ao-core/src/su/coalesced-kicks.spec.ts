import { describe, expect, it } from 'vitest';
import { coalescedKicks } from './coalesced-kicks.js';

/** A kick whose calls stay pending until the test settles them. */
function manualKick() {
  const pending: { resolve(): void; reject(e: Error): void }[] = [];
  const kick = () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
  return { kick, pending };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('coalescedKicks', () => {
  it('kicks at once, turns the kicks asked for meanwhile into one more, and stops there', async () => {
    const { kick, pending } = manualKick();
    const notifier = coalescedKicks(kick);
    notifier.uploadsPending();
    expect(pending).toHaveLength(1);
    for (let i = 0; i < 10; i += 1) notifier.uploadsPending();
    expect(pending).toHaveLength(1);
    pending[0].resolve();
    await settle();
    expect(pending).toHaveLength(2);
    pending[1].resolve();
    await settle();
    expect(pending).toHaveLength(2);
    notifier.uploadsPending();
    expect(pending).toHaveLength(3);
  });

  it('goes on after a kick that failed', async () => {
    const { kick, pending } = manualKick();
    const notifier = coalescedKicks(kick);
    notifier.uploadsPending();
    notifier.uploadsPending();
    pending[0].reject(new Error('redis went away'));
    await settle();
    expect(pending).toHaveLength(2);
    pending[1].resolve();
    await settle();
    notifier.uploadsPending();
    expect(pending).toHaveLength(3);
  });
});
