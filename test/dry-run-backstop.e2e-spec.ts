import { describe, expect, it } from 'vitest';
import { runawayPlatform } from './support/runaway.js';

const WALL_MS = 1500;

describe("wall-clock backstop for the API's dry-runs", () => {
  const { http, threadOf, dryRun, spawn } = runawayPlatform({ threads: 2, wallMs: WALL_MS });

  it('answers a runaway dry-run with 503 EVALUATION_TIMEOUT within the bound, serves others meanwhile, and works again after', async () => {
    const alive = async (pid: string) => expect((await dryRun(pid, 'Get').expect(200)).body.Messages[0].Data).toBe(`alive ${pid}`);

    const runaway = await spawn();
    // One process on the runaway's API thread and one on the other thread.
    const pids: string[] = [];
    while (!pids.some((p) => threadOf(p) !== threadOf(runaway)) || !pids.some((p) => threadOf(p) === threadOf(runaway))) pids.push(await spawn());
    const other = pids.find((p) => threadOf(p) !== threadOf(runaway))!;
    const neighbour = pids.find((p) => threadOf(p) === threadOf(runaway))!;
    // Warm: the runaway call starts at once, and the neighbour's instance is rebuilt on the new thread later.
    for (const pid of [runaway, other, neighbour]) await alive(pid);

    const started = Date.now();
    let answeredAt = 0;
    const hang = dryRun(runaway, 'Hang').then((res) => {
      answeredAt = Date.now();
      return res;
    });

    // The API's main thread and the other evaluation thread keep serving while the runaway is stuck.
    // Counted only when answered before the runaway was, whatever the machine's load.
    let served = 0;
    for (let i = 0; i < 3 && answeredAt === 0; i++) {
      await http().get('/info').expect(200);
      await alive(other);
      if (answeredAt === 0) served += 1;
    }
    expect(served).toBeGreaterThan(0);
    // Posted once the thread is silent, a call for a process on the stuck thread cannot have started:
    // it is replayed on the replacement thread instead of failing with the runaway.
    const bystander = dryRun(neighbour, 'Get');

    const res = await hang;
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'EVALUATION_TIMEOUT', details: { processId: runaway, call: 'dry-run' } });
    expect(res.body.error).toMatch(/wall-clock backstop/);
    expect(res.body.error).toContain(runaway);
    // Cut by the configured bound, not by anything longer (a slower cut would name another figure;
    // an upper bound in wall-clock time would only measure how loaded the machine is).
    expect(answeredAt - started).toBeGreaterThanOrEqual(WALL_MS);
    expect(res.body.error).toContain(`stuck for over ${WALL_MS} ms`);

    expect((await bystander.expect(200)).body.Messages[0].Data).toBe(`alive ${neighbour}`);
    // The replaced thread serves the runaway's process again, state hashes included.
    await alive(runaway);
    await alive(neighbour);
    const state = (await http().get(`/cu/state/${runaway}`).expect(200)).body;
    expect(state).toMatchObject({ processId: runaway, nonce: 0 });
  }, 120_000);
});
