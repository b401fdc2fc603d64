import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection } from './connection';

describe('the connection state behind the API-down banner', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('probes with a growing delay (1, 2, 4 ... at most 15 s) until the API answers, then tells the listeners once', async () => {
    const answers = [false, false, false, true];
    const probe = vi.fn(async () => answers.shift() ?? true);
    const connection = new Connection(probe);
    const recovered = vi.fn();
    connection.onRecovered(recovered);
    connection.reportDown('Failed to fetch');
    expect(connection.get()).toMatchObject({ up: false, reason: 'Failed to fetch', attempts: 0 });
    connection.reportDown('again');
    expect(connection.get().reason).toBe('Failed to fetch');

    await vi.advanceTimersByTimeAsync(999);
    expect(probe).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(probe).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(probe).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(4000);
    expect(probe).toHaveBeenCalledTimes(3);
    expect(connection.get()).toMatchObject({ up: false, attempts: 3 });
    await vi.advanceTimersByTimeAsync(8000);
    expect(probe).toHaveBeenCalledTimes(4);
    expect(connection.get()).toEqual({ up: true, attempts: 0 });
    expect(recovered).toHaveBeenCalledTimes(1);
    expect([0, 1, 2, 3, 4, 5].map((n) => connection.delay(n))).toEqual([1000, 2000, 4000, 8000, 15000, 15000]);
  });

  it('probes at once on "Retry now", and any answered request marks it up without a probe', async () => {
    const probe = vi.fn(async () => false);
    const connection = new Connection(probe);
    connection.reportDown('refused');
    connection.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(probe).toHaveBeenCalledTimes(1);
    connection.reportUp();
    expect(connection.get().up).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(probe).toHaveBeenCalledTimes(1);
  });
});
