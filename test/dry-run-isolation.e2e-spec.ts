import { describe, expect, it } from 'vitest';
import type { EvaluationPool } from '@ao/infra';
import { API_COMPUTE_UNIT } from '../apps/api/src/cu/cu.tokens.js';
import { until } from './support/until.js';
import { runawayPlatform } from './support/runaway.js';

// Long enough that the bystander's answer cannot be the backstop's doing.
const WALL_MS = 8_000;

describe('dry-runs: a runaway blocks no other caller', () => {
  const { platform, threadOf, dryRun, spawn } = runawayPlatform({ threads: 2, wallMs: WALL_MS });

  it("a dry-run of a process on the runaway's own thread is served by the idle one before the backstop fires", async () => {
    const runaway = await spawn();
    let neighbour = await spawn();
    while (threadOf(neighbour) !== threadOf(runaway)) neighbour = await spawn();
    await dryRun(runaway, 'Get').expect(200);

    let hangAnswered = false;
    const hang = dryRun(runaway, 'Hang').then((res) => {
      hangAnswered = true;
      return res;
    });
    // Once the runaway call is on its thread, the neighbour's dry-run must not queue behind it.
    const pool = platform().api.get<unknown, EvaluationPool>(API_COMPUTE_UNIT);
    await until('the runaway dry-run on its thread', async () => pool.inFlight()[threadOf(runaway)] === 1, 30_000, 20);
    const res = await dryRun(neighbour, 'Get').expect(200);
    expect(res.body.Messages[0].Data).toBe(`alive ${neighbour}`);
    expect(hangAnswered).toBe(false);
    expect((await hang).status).toBe(503);
  }, 120_000);
});
