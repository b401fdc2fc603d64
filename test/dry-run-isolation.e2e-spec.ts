import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import type { EvaluationPool } from '@ao/infra';
import { API_COMPUTE_UNIT } from '../apps/api/src/cu/cu.tokens.js';
import { until } from './support/until.js';
import { newUser, processItem } from './support/items.js';
import { RUNAWAY_CODE, apiThreadOf } from './support/runaway.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const API_THREADS = 2;
// Long enough that the bystander's answer cannot be the backstop's doing.
const WALL_MS = 8_000;
const CODE = RUNAWAY_CODE;
const threadOf = (pid: string) => apiThreadOf(pid, API_THREADS);

describe('dry-runs: a runaway blocks no other caller', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let owner: ItemSigner;
  const http = () => platform.http();
  const dryRun = (pid: string, action: string) =>
    http().post('/cu/dry-run').query({ 'process-id': pid }).send({ Target: pid, Owner: owner.address, Tags: [{ name: 'Action', value: action }] });

  beforeAll(async () => {
    t = await createTestEnv({ API_CU_THREADS: String(API_THREADS), CU_WALL_TIMEOUT_MS: String(WALL_MS), RESULT_TIMEOUT_MS: '20000' });
    platform = await startTestPlatform(t.env);
    owner = newUser();
  });

  afterAll(async () => {
    await platform?.close();
    await t?.cleanup();
  });

  it("a dry-run of a process on the runaway's own thread is served by the idle one before the backstop fires", async () => {
    const info = (await http().get('/info').expect(200)).body;
    const spawn = async () => {
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], CODE, info.modules['lua-5.4-aos']);
      await http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(p.raw)).expect(202);
      await http().get(`/cu/result/${p.id}`).query({ 'process-id': p.id }).expect(200);
      return p.id;
    };
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
    const pool = platform.api.get<unknown, EvaluationPool>(API_COMPUTE_UNIT);
    await until('the runaway dry-run on its thread', async () => pool.inFlight()[threadOf(runaway)] === 1, 30_000, 20);
    const res = await dryRun(neighbour, 'Get').expect(200);
    expect(res.body.Messages[0].Data).toBe(`alive ${neighbour}`);
    expect(hangAnswered).toBe(false);
    expect((await hang).status).toBe(503);
  }, 120_000);
});
